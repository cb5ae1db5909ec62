"""Choosing the defaults of MonotoneRegressor / MonotoneClassifier on validation rows only (issue 9).

For each tabular data set and each of 3 seeded splits of the
benchmark (:func:`signnet.experiments.benchmark.protocol.split_indices`, seed 0; Adult: the
benchmark's 10,000 rows, then a seeded 4,000 of its fitting and 1,000 of its validation rows), every candidate
setting is fitted on the benchmark's fitting rows (scaled as the benchmark scales them) and scored
on the benchmark's validation rows; the test rows are never read.

Each setting is fitted with the model seeds ``derived_seed(SEED + k, MODEL_STREAM, s)`` for ``k`` in
:data:`MODEL_SEEDS` (``k = 0`` is the benchmark's own seed) and its metric is the mean over splits and seeds.

Rule, fixed before the results were seen: per data set, rank the settings by the mean validation
metric over the splits (RMSE lower is better, accuracy higher is better; ties share the mean rank);
the chosen setting has the lowest mean rank over the data sets; ties go to the lower mean log-loss
rank (classification sets), then to the current default.

Grid (issue 9's averaged ensemble): ``n_networks`` in (1, 3, 5, 8) x ``learning_rate_init`` in (0.01, 0.003)
x ``validation_fraction`` in (0.1, 0.2), every other parameter at its default (widths (32, 32), ``mixed``,
``alpha=1e-4``, patience 20). A first run with the benchmark's seed only (``k = 0``, last column) chose
``n1 lr.003 vf.1``; on the same validation rows, 8 single networks (learning rate 0.01, random_state 1000 to
1007; a one-off check, not in this script) had a mean RMSE 0.15 above that of their average on Auto MPG (split 0:
3.32 against 3.05), so one seed per split ranks
single networks mostly by the luck of their seed, and the grid was rerun with seeds ``k = 1, 2`` added
(rule unchanged). Validation metric, mean over 3 splits x 3 seeds (RMSE; accuracy); mean rank over the six
sets; mean fit seconds of one fit on the fitting rows (2 processes on a shared 2-core machine)::

    | setting | auto_mpg | diabetes | breast_cancer | compas | adult | heart | rank | log-loss rank | fit s | rank, k = 0 only |
    |---|---|---|---|---|---|---|---|---|---|---|
    | n1 lr.01 vf.1 (current) | 2.915 | 56.825 | 0.9695 | 0.6827 | 0.8273 | 0.8435 | 14.00 | 14.75 | 0.8 | 11.08 |
    | n1 lr.01 vf.2 | 2.953 | 56.182 | 0.9695 | 0.6816 | 0.8294 | 0.8413 | 12.83 | 15.25 | 0.6 | 11.33 |
    | n1 lr.003 vf.1 | 2.945 | 56.254 | 0.9719 | 0.6874 | 0.8296 | 0.8526 | 8.42 | 11.75 | 0.9 | 2.50 |
    | n1 lr.003 vf.2 | 2.833 | 56.404 | 0.9683 | 0.6842 | 0.8293 | 0.8231 | 12.08 | 12.75 | 0.9 | 9.58 |
    | n3 lr.01 vf.1 | 2.841 | 56.260 | 0.9695 | 0.6839 | 0.8301 | 0.8753 | 9.00 | 10.00 | 1.1 | 9.25 |
    | n3 lr.01 vf.2 | 2.863 | 55.989 | 0.9707 | 0.6845 | 0.8304 | 0.8617 | 7.83 | 8.50 | 1.0 | 7.08 |
    | n3 lr.003 vf.1 | 2.841 | 55.961 | 0.9695 | 0.6853 | 0.8291 | 0.8594 | 8.83 | 11.25 | 1.5 | 8.33 |
    | n3 lr.003 vf.2 | 2.820 | 55.864 | 0.9683 | 0.6830 | 0.8290 | 0.8503 | 10.33 | 8.00 | 1.4 | 12.00 |
    | n5 lr.01 vf.1 | 2.833 | 55.949 | 0.9756 | 0.6840 | 0.8312 | 0.8730 | 5.58 | 5.25 | 1.5 | 6.08 |
    | n5 lr.01 vf.2 | 2.852 | 55.921 | 0.9719 | 0.6825 | 0.8304 | 0.8571 | 9.00 | 6.50 | 1.3 | 8.75 |
    | n5 lr.003 vf.1 | 2.828 | 55.830 | 0.9744 | 0.6845 | 0.8316 | 0.8503 | 4.92 | 6.25 | 2.1 | 8.67 |
    | n5 lr.003 vf.2 | 2.829 | 55.888 | 0.9683 | 0.6841 | 0.8293 | 0.8435 | 10.00 | 6.75 | 1.8 | 9.75 |
    | n8 lr.01 vf.1 | 2.813 | 55.850 | 0.9756 | 0.6847 | 0.8311 | 0.8685 | 3.25 | 4.25 | 2.0 | 6.58 |
    | n8 lr.01 vf.2 | 2.831 | 55.812 | 0.9683 | 0.6841 | 0.8290 | 0.8685 | 8.50 | 4.25 | 1.8 | 10.33 |
    | n8 lr.003 vf.1 | 2.818 | 55.668 | 0.9719 | 0.6866 | 0.8324 | 0.8526 | 3.42 | 4.75 | 3.1 | 6.08 |
    | n8 lr.003 vf.2 | 2.811 | 55.809 | 0.9683 | 0.6831 | 0.8303 | 0.8458 | 8.00 | 5.75 | 2.9 | 8.58 |

Chosen: ``n8 lr.01 vf.1``, i.e. ``n_networks=8`` with the learning rate and validation fraction unchanged.

Round 2 (session 5, ``--grid round2``): one change at a time from that default (16 networks, widths (64, 64),
three layers of 32, ``alpha=1e-3``, patience 40, ELU in the mixed activation); the same rows, seeds and rule
(fit seconds: two tuning processes and a third job on the 2 cores)::

    | setting | auto_mpg | diabetes | breast_cancer | compas | adult | heart | mean rank | mean log-loss rank | mean fit s |
    |---|---|---|---|---|---|---|---|---|---|
    | n8 (current) | 2.813 | 55.850 | 0.9756 | 0.6847 | 0.8311 | 0.8685 | 4.58 | 4.38 | 2.0 |
    | n16 | 2.840 | 55.603 | 0.9731 | 0.6843 | 0.8301 | 0.8662 | 6.00 | 3.75 | 3.3 |
    | w64 | 2.796 | 55.535 | 0.9756 | 0.6856 | 0.8311 | 0.8481 | 2.83 | 5.00 | 2.5 |
    | w32x3 | 2.837 | 56.207 | 0.9744 | 0.6851 | 0.8300 | 0.8730 | 5.08 | 4.50 | 2.2 |
    | alpha1e-3 | 2.801 | 55.777 | 0.9744 | 0.6851 | 0.8337 | 0.8776 | 3.25 | 1.50 | 1.9 |
    | patience40 | 2.806 | 55.512 | 0.9756 | 0.6850 | 0.8311 | 0.8707 | 3.25 | 4.88 | 2.9 |
    | elu | 2.741 | 55.577 | 0.9719 | 0.6880 | 0.8308 | 0.9002 | 3.00 | 4.00 | 3.6 |

Round 3 (``--grid round3``): combinations of round 2's three best (patience 40, tied with ``alpha1e-3`` at
3.25, was left out: its fits are 1.5x longer); the same rule. The first two rows repeat round 2's values
exactly (the fits are deterministic)::

    | setting | auto_mpg | diabetes | breast_cancer | compas | adult | heart | mean rank | mean log-loss rank | mean fit s |
    |---|---|---|---|---|---|---|---|---|---|
    | n8 (current) | 2.813 | 55.850 | 0.9756 | 0.6847 | 0.8311 | 0.8685 | 4.75 | 4.25 | 2.7 |
    | w64 | 2.796 | 55.535 | 0.9756 | 0.6856 | 0.8311 | 0.8481 | 4.00 | 5.25 | 3.4 |
    | w64 elu | 2.723 | 55.583 | 0.9731 | 0.6880 | 0.8308 | 0.8957 | 3.50 | 4.00 | 7.0 |
    | w64 alpha1e-3 | 2.790 | 55.447 | 0.9707 | 0.6872 | 0.8348 | 0.8662 | 3.33 | 3.50 | 3.6 |
    | elu alpha1e-3 | 2.748 | 55.448 | 0.9731 | 0.6854 | 0.8311 | 0.9002 | 3.08 | 1.75 | 4.6 |
    | w64 elu alpha1e-3 | 2.738 | 55.416 | 0.9768 | 0.6845 | 0.8319 | 0.8980 | 2.33 | 2.25 | 6.8 |

The rule's first, ``w64 elu alpha1e-3``, fitted all of COMPAS in 13.7 s (one fit, 2-core machine, another job
running; ``elu alpha1e-3`` 8.2 s, ``n8`` 4.7 s in the same run), over issue 9's limit of 10 s, so the default is
the next, ``elu alpha1e-3``: ``activation="elu"``, ``alpha=1e-3``, everything else as round 1 chose. On the
benchmark's TEST rows (read only after the choice, ``signnet benchmark --seed 0``) it did not
beat the old default everywhere: Auto MPG 2.836 against 2.744 (a gap of 0.09, between the old run's std,
0.067, and the new one's, 0.101), COMPAS 0.677 against 0.680, breast cancer 0.988 against 0.985, heart
0.863 against 0.836 (about two stds better). The validation differences between settings are of the
size of the split-to-split spread, so which setting ranks first is partly luck; it was kept because the
rule chose it. Rerun since ``MixedActivation`` evaluates rho once per unit (session 5), the ReLU rows
reproduce these tables exactly and the ELU rows to about 1e-8 (float32 rounding of the activation).

Peer (session 9, ``--grid peer``): the default beside ``HistGradientBoosting*(monotonic_cst=...)`` on the same
rows and seeds, HGB fitted as the estimators are (the fitting rows; its own early stopping on an internal 10%
of them). The signnet row repeats round 3's exactly. On these validation rows signnet is ahead on Auto MPG
(by 0.11) and COMPAS (by 0.010), where the 3-split TEST scores of ``signnet benchmark`` put it behind (by
0.11 and 0.005); its settings were chosen on these rows (which flatters it a little), HGB's are its
defaults (not tuned here)::

    | setting | auto_mpg | diabetes | breast_cancer | compas | adult | heart | mean rank | mean log-loss rank | mean fit s |
    |---|---|---|---|---|---|---|---|---|---|
    | elu alpha1e-3 (current) | 2.748 | 55.448 | 0.9731 | 0.6854 | 0.8311 | 0.9002 | 1.17 | 1.25 | 2.6 |
    | HGB monotone | 2.858 | 57.683 | 0.9487 | 0.6752 | 0.8460 | 0.8299 | 1.83 | 1.75 | 0.1 |

Quantile (session 10, ``--grid quantile``): the default behind a per-feature ``QuantileTransformer`` (normal
output, fitted on the fitting rows; non-decreasing, so the constraints carry over), to see whether heavy-tailed
features (priors_count, capital_gain) train better. The same rows, seeds and rule; it ranked second, ahead on
COMPAS only (by 0.0025), so it was not taken (the first row repeats the peer round; diabetes' mean is
55.4485000, rounded either way)::

    | setting | auto_mpg | diabetes | breast_cancer | compas | adult | heart | mean rank | mean log-loss rank | mean fit s |
    |---|---|---|---|---|---|---|---|---|---|
    | elu alpha1e-3 (current) | 2.748 | 55.449 | 0.9731 | 0.6854 | 0.8311 | 0.9002 | 1.17 | 1.50 | 2.2 |
    | quantile normal | 2.918 | 56.233 | 0.9634 | 0.6879 | 0.8301 | 0.8934 | 1.83 | 1.50 | 2.4 |

Run: ``PYTHONPATH=src python bench/tune_defaults.py [--grid round1|round2|round3|peer|quantile]
[--datasets auto_mpg,heart] > rows.jsonl`` then ``python bench/tune_defaults.py --grid ... --summarise rows.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import accuracy_score, log_loss
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from signnet.data.tabular import TABULAR_DATASETS, load_tabular
from signnet.estimators import MonotoneClassifier, MonotoneRegressor
from signnet.experiments.benchmark.protocol import MODEL_STREAM, TUNING_SEED, TUNING_SPLITS, derived_seed, split_indices
from signnet.experiments.benchmark.run import _rows

SEED, SPLITS, ADULT_ROWS = TUNING_SEED, TUNING_SPLITS, 5000  # the benchmark reports its test rows among these
MODEL_SEEDS = (0, 1, 2)  # model seed k of split s: derived_seed(SEED + k, MODEL_STREAM, s); k = 0 is the benchmark's
# Every setting is spelled out from a fixed base, so that a round reproduces its table whatever the estimators'
# defaults are now; "(current)" names the default at the time the round ran.
ROUND1_BASE = {"hidden_layer_sizes": (32, 32), "activation": "relu", "alpha": 1e-4, "n_networks": 1,
               "learning_rate_init": 0.01, "validation_fraction": 0.1}
CANDIDATES = {"n1 lr.01 vf.1 (current)": dict(ROUND1_BASE)}
CANDIDATES.update({
    f"n{n} lr{str(lr).lstrip('0')} vf{str(vf).lstrip('0')}": {**ROUND1_BASE, "n_networks": n, "learning_rate_init": lr,
                                                              "validation_fraction": vf}
    for n in (1, 3, 5, 8) for lr in (0.01, 0.003) for vf in (0.1, 0.2)
    if (n, lr, vf) != (1, 0.01, 0.1)
})
# Round 2 (session 5): around the round-1 winner, which is the default now; same data, seeds and rule
ROUND_BASE = {**ROUND1_BASE, "n_networks": 8}  # round 1's winner, the default during rounds 2 and 3
ROUND2 = {
    "n8 (current)": {},
    "n16": {"n_networks": 16},
    "w64": {"hidden_layer_sizes": (64, 64)},
    "w32x3": {"hidden_layer_sizes": (32, 32, 32)},
    "alpha1e-3": {"alpha": 1e-3},
    "patience40": {"n_iter_no_change": 40},
    "elu": {"activation": "elu"},
}
# Round 3: combinations of round 2's three best (w64 2.83, elu 3.00, alpha1e-3 3.25; patience40 tied at 3.25 but
# costs 1.5x the fit time); the same rule
ROUND3 = {
    "n8 (current)": {},
    "w64": {"hidden_layer_sizes": (64, 64)},
    "w64 elu": {"hidden_layer_sizes": (64, 64), "activation": "elu"},
    "w64 alpha1e-3": {"hidden_layer_sizes": (64, 64), "alpha": 1e-3},
    "elu alpha1e-3": {"activation": "elu", "alpha": 1e-3},
    "w64 elu alpha1e-3": {"hidden_layer_sizes": (64, 64), "activation": "elu", "alpha": 1e-3},
}
ROUND2 = {label: {**ROUND_BASE, **change} for label, change in ROUND2.items()}
ROUND3 = {label: {**ROUND_BASE, **change} for label, change in ROUND3.items()}
# Peer (session 9): the chosen default beside HGB with monotonic_cst on the same rows. HGB gets what the
# estimators get: the fitting rows, its own early stopping on an internal 10% of them, the same seed.
PEER = {"elu alpha1e-3 (current)": {**ROUND_BASE, "activation": "elu", "alpha": 1e-3}, "HGB monotone": "hgb"}
# Quantile (session 10): the default after a per-feature QuantileTransformer (normal output), fitted on the fitting
# rows: a non-decreasing map of each feature, so the constraints carry over; would heavy tails (priors_count,
# capital_gain) train better?
QUANTILE = {"elu alpha1e-3 (current)": PEER["elu alpha1e-3 (current)"],
            "quantile normal": {**PEER["elu alpha1e-3 (current)"], "_quantile": True}}
GRIDS = {"round1": CANDIDATES, "round2": ROUND2, "round3": ROUND3, "peer": PEER, "quantile": QUANTILE}


def make_model(params, task: str, cst, seed: int):
    """The estimator of one setting: a signnet estimator with ``params``, or HGB monotone for ``"hgb"``."""
    if params == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        cls = HistGradientBoostingClassifier if task == "binary" else HistGradientBoostingRegressor
        return cls(monotonic_cst=[int(c) for c in cst], early_stopping=True, random_state=seed)
    cls = MonotoneClassifier if task == "binary" else MonotoneRegressor
    params = dict(params)
    if params.pop("_quantile", False):
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import QuantileTransformer

        return make_pipeline(QuantileTransformer(n_quantiles=1000, output_distribution="normal", random_state=0),
                             cls(monotonic_cst=[int(c) for c in cst], random_state=seed, **params))
    return cls(monotonic_cst=[int(c) for c in cst], random_state=seed, **params)


def rows_of(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """The benchmark's rows of ``name`` (Adult: its seeded 10,000-row subset, :func:`run._rows`)."""
    data = load_tabular(name)
    keep = _rows(len(data.y), SEED)
    return data.X.to_numpy(dtype=np.float64)[keep], np.asarray(data.y)[keep], np.asarray(data.cst), data.task


def carve(name: str, y: np.ndarray, task: str, split: int) -> tuple[np.ndarray, np.ndarray]:
    """The benchmark's fitting and validation rows of ``split`` (its test rows are dropped unread);
    for Adult a seeded half of each, so that about 5,000 of the benchmark's training rows are used."""
    fit, val, _test = split_indices(y, task, seed=SEED, split=split)
    if name == "adult":
        rng = np.random.default_rng(derived_seed(SEED, 5, split))
        fit = np.sort(rng.choice(fit, ADULT_ROWS * 4 // 5, replace=False))
        val = np.sort(rng.choice(val, ADULT_ROWS // 5, replace=False))
    return fit, val


def run(datasets, model_seeds=MODEL_SEEDS, candidates=CANDIDATES) -> None:
    for name in datasets:
        X, y, cst, task = rows_of(name)
        for s in range(SPLITS):
            fit, val = carve(name, y, task, s)
            scaler = StandardScaler().fit(X[fit])
            X_fit, X_val = scaler.transform(X[fit]), scaler.transform(X[val])
            for k in model_seeds:
                for label, params in candidates.items():
                    est = make_model(params, task, cst, derived_seed(SEED + k, MODEL_STREAM, s))
                    start = time.perf_counter()
                    est.fit(X_fit, y[fit])
                    seconds = time.perf_counter() - start
                    row = {"data": name, "split": s, "model_seed": k, "setting": label, "seconds": round(seconds, 2),
                           "epochs": int(getattr(est[-1] if hasattr(est, "steps") else est, "n_iter_", 0))}
                    if task == "binary":
                        row["accuracy"] = float(accuracy_score(y[val], est.predict(X_val)))
                        row["log_loss"] = float(log_loss(y[val], est.predict_proba(X_val)[:, 1], labels=est.classes_))
                    else:
                        row["rmse"] = float(np.sqrt(np.mean((est.predict(X_val) - y[val]) ** 2)))
                    print(json.dumps(row), flush=True)


def summarise(path: str, candidates=CANDIDATES) -> None:
    rows = [json.loads(line) for line in open(path)]
    names = [d for d in TABULAR_DATASETS if any(r["data"] == d for r in rows)]
    labels = list(candidates)

    def mean(d, label, key):
        return float(np.mean([r[key] for r in rows if r["data"] == d and r["setting"] == label]))

    ranks, ll_ranks = [], []
    print("| setting | " + " | ".join(names) + " | mean rank | mean log-loss rank | mean fit s |")
    print("|---" * (len(names) + 4) + "|")
    table = {}
    for d in names:
        key = "accuracy" if "accuracy" in next(r for r in rows if r["data"] == d) else "rmse"
        vals = np.array([mean(d, lab, key) for lab in labels])
        table[d] = (key, vals)
        ranks.append(rankdata(-vals if key == "accuracy" else vals))
        if key == "accuracy":
            ll_ranks.append(rankdata([mean(d, lab, "log_loss") for lab in labels]))
    mean_rank, ll_rank = np.mean(ranks, axis=0), np.mean(ll_ranks, axis=0) if ll_ranks else np.zeros(len(labels))
    for i, lab in enumerate(labels):
        cells = [f"{table[d][1][i]:.4f}" if table[d][0] == "accuracy" else f"{table[d][1][i]:.3f}" for d in names]
        secs = np.mean([r["seconds"] for r in rows if r["setting"] == lab])
        print(f"| {lab} | " + " | ".join(cells) + f" | {mean_rank[i]:.2f} | {ll_rank[i]:.2f} | {secs:.1f} |")
    order = sorted(range(len(labels)), key=lambda i: (mean_rank[i], ll_rank[i], i))
    print("chosen:", labels[order[0]])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(TABULAR_DATASETS))
    parser.add_argument("--model-seeds", default=",".join(map(str, MODEL_SEEDS)))
    parser.add_argument("--grid", choices=sorted(GRIDS), default="round1")
    parser.add_argument("--summarise", metavar="ROWS_JSONL")
    args = parser.parse_args(argv)
    if args.summarise:
        summarise(args.summarise, GRIDS[args.grid])
        return
    with threadpool_limits(1):
        run(args.datasets.split(","), [int(k) for k in args.model_seeds.split(",")], GRIDS[args.grid])


if __name__ == "__main__":
    main()
