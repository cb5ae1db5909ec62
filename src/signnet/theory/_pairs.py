"""Comparable pairs of data rows under a constraint vector (see :mod:`signnet.theory._cst`)."""

from __future__ import annotations

import numpy as np


def comparable_data_pairs(flat: np.ndarray, want: int, rng, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``want`` distinct pairs of data rows ``(a, b)``, ``a`` preceding ``b`` under ``c``, ``a != b``.

    Constrained columns are compared as ``c_i * x_i`` (so ``-1`` features compare
    reversed); free columns must be equal. Up to 2000 rows every ordered pair is
    compared and the comparable ones are subsampled without replacement; beyond,
    pairs are rejection-sampled (distinct).
    """
    n, d = flat.shape
    if n < 2 or want == 0:
        return np.zeros((0, d)), np.zeros((0, d))
    Z, Fr = flat[:, c != 0] * c[c != 0], flat[:, c == 0]
    if n <= 2000:
        found, chunk = [], max(1, 20_000_000 // (n * d))
        for lo in range(0, n, chunk):
            block, fblock = Z[lo:lo + chunk], Fr[lo:lo + chunk]
            le = (block[:, None, :] <= Z[None, :, :]).all(axis=2)
            le &= ~(block[:, None, :] == Z[None, :, :]).all(axis=2)  # equal points tell nothing
            if Fr.shape[1]:
                le &= (fblock[:, None, :] == Fr[None, :, :]).all(axis=2)
            i, j = np.nonzero(le)
            found.append(np.stack([i + lo, j], axis=1))
        pairs = np.concatenate(found)
        pairs = pairs[rng.permutation(len(pairs))[:want]]
    else:
        codes = np.zeros(0, np.int64)
        for _ in range(20):
            i, j = rng.integers(0, n, (2, 4 * want))
            le, eq = (Z[i] <= Z[j]).all(axis=1), (Z[i] == Z[j]).all(axis=1)
            ge = (Z[i] >= Z[j]).all(axis=1)
            same = (Fr[i] == Fr[j]).all(axis=1)
            lo_, hi_ = np.where(le, i, j)[(le | ge) & ~eq & same], np.where(le, j, i)[(le | ge) & ~eq & same]
            codes = np.unique(np.concatenate([codes, lo_ * n + hi_]))
            if len(codes) >= want:
                break
        codes = codes[rng.permutation(len(codes))[:want]]
        pairs = np.stack([codes // n, codes % n], axis=1)
    return flat[pairs[:, 0]], flat[pairs[:, 1]]
