"""The theory of Wang et al. made executable.

* :mod:`.ceiling` — the exact monotone ceiling (best accuracy of any monotone classifier), with its
  solvers in ``_ceiling_sweep`` and ``_ceiling_flow`` and their numba-compiled loops in ``_ceiling_jit``.
* :mod:`.orientation` — the best choice of increasing/decreasing per feature.
* :mod:`.witnesses` — witnesses of Corollaries 1.1.1-1.1.3 in a data set.
* :mod:`.certificate` — a static, sound certificate of monotonicity and convexity, with its
  module checks, sign operators and path search in ``_certificate_checks``, ``_certificate_stages``
  and ``_certificate_paths``; it refuses any model whose computation is not what it reads.
* :mod:`.dominance` — empirical dominance checks and a search for violating pairs (Theorem 1.1).
* :mod:`.outputs` — which functions of the outputs both talk about (raw outputs, softmax logit differences).
* :mod:`._cst` — ``monotonic_cst`` (-1/0/1 per feature, or a dict by feature name), read in one place.
* :mod:`.blackbox` — auditing fitted models that are not torch modules (queries only, no gradients).
"""

from signnet.theory._cst import as_monotonic_cst, precedes
from signnet.theory.blackbox import BlackBox
from signnet.theory.ceiling import CeilingResult, monotone_ceiling
from signnet.theory.certificate import Certificate, certify
from signnet.theory.dominance import DominanceReport, dominance_violations
from signnet.theory.orientation import OrientationResult, best_orientation
from signnet.theory.outputs import checked_functions, logit_pairs, output_names
from signnet.theory.search import Violation, find_violation
from signnet.theory.witnesses import Witness, corollary_witnesses

__all__ = [
    "BlackBox", "as_monotonic_cst", "precedes",
    "CeilingResult", "Certificate", "DominanceReport", "OrientationResult", "Violation", "Witness",
    "best_orientation", "certify", "checked_functions", "corollary_witnesses", "dominance_violations",
    "find_violation", "logit_pairs", "monotone_ceiling", "output_names",
]
