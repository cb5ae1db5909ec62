"""The benchmark's claims as verdicts computed from its own numbers (:mod:`signnet.experiments.results`).

Per data set:

* ``<set>.signnet_vs_hgb`` (measurement): signnet's default estimator scores at least as well as
  HistGradientBoosting with the same ``monotonic_cst`` (mean over splits; RMSE <=, accuracy >=);
  inconclusive when signnet's estimators are not importable.
* ``<set>.no_violations.<model>`` (measurement): no audited pair of test rows violates the
  constraints, for every model that is monotone by construction.
* ``<set>.no_witness.<model>`` (measurement): :func:`signnet.find_violation` finds no witness
  ``x <= y`` with ``F(x) > F(y)`` in the box of the test rows on any split, for the same models.
* ``<set>.below_ceiling.<model>`` (theorem, binary labels): a classifier monotone in ``monotonic_cst``
  is right on at most the ceiling's share of the test rows (Theorem 1.1 of Wang et al. with the
  exact ceiling of :func:`signnet.monotone_ceiling`), on every split.
* ``<set>.free_net_violates`` (measurement): the unconstrained network, trained on the same rows,
  breaks the constraints on some audited pair (monotonicity does not come for free).
* ``<set>.free_net_witness`` (measurement): :func:`signnet.find_violation` finds a witness against
  the unconstrained network on some split.

A model that is not importable gets no verdict (the table says it was skipped and why).
"""

from __future__ import annotations

from signnet.experiments.benchmark.results import DatasetResult
from signnet.experiments.results import Comparison, Verdict


def dataset_verdicts(ds: DatasetResult) -> list[Verdict]:
    """Every verdict of one data set, from its stored numbers."""
    out = []
    sig, hgb = ds.models.get("signnet"), ds.models.get("hgb_monotone")
    word = "accuracy" if ds.higher_is_better else "RMSE"
    if sig is not None and sig.available and hgb is not None and hgb.available:
        out.append(Verdict(
            key=f"{ds.name}.signnet_vs_hgb",
            claim=f"signnet's default monotone estimator scores at least as well as HGB monotone on {ds.name}",
            kind="measurement",
            comparisons=(Comparison(f"signnet mean test {word}", sig.metric_mean, ">=" if ds.higher_is_better else "<=",
                                    f"HGB monotone mean test {word}", hgb.metric_mean),),
            note=f"means over {len(hgb.metric)} split(s); the standard deviations are in the table" + _paired_note(ds)))
    for m in ds.models.values():
        if not (m.constrained and m.available):
            continue
        out.append(Verdict(
            key=f"{ds.name}.no_violations.{m.name}",
            claim=f"{m.label} breaks no monotonicity constraint on the audited pairs of {ds.name}",
            kind="measurement",
            comparisons=(Comparison(f"violating pairs of {m.label} (all splits)", m.violations_total, "==", "none", 0),),
            note=f"{sum(m.pairs)} pairs audited with {m.audit_method}"))
        out.append(Verdict(
            key=f"{ds.name}.no_witness.{m.name}",
            claim=f"find_violation finds no witness against {m.label} in the box of the test rows of {ds.name}",
            kind="measurement",
            comparisons=(Comparison(f"splits where find_violation found a witness against {m.label}", m.witnesses_total,
                                    "==", "none", 0),),
            note="one search per split, in the box spanned by the test rows; a search that finds nothing proves nothing"))
        if ds.task == "binary":
            out.append(Verdict(
                key=f"{ds.name}.below_ceiling.{m.name}",
                claim=f"{m.label}, monotone in the constrained features, stays at or below the exact monotone "
                      f"ceiling of the test rows of {ds.name} on every split",
                kind="theorem",
                comparisons=(Comparison(f"largest test accuracy minus ceiling of {m.label}",
                                        m.accuracy_minus_ceiling_max, "<=", "zero", 0),)))
    free = ds.models.get("mlp_free")
    if free is not None and free.available:
        out.append(Verdict(
            key=f"{ds.name}.free_net_violates",
            claim=f"the unconstrained network breaks the constraints on some audited pair of {ds.name}",
            kind="measurement",
            comparisons=(Comparison("violating pairs of the unconstrained MLP (all splits)", free.violations_total,
                                    ">", "none", 0),)))
        out.append(Verdict(
            key=f"{ds.name}.free_net_witness",
            claim=f"find_violation finds a witness against the unconstrained network on some split of {ds.name}",
            kind="measurement",
            comparisons=(Comparison("splits where find_violation found a witness against the unconstrained MLP",
                                    free.witnesses_total, ">", "none", 0),),
            note="one search per split; the largest gap F(x) - F(y) found is in the table"))
    return out


def _paired_note(ds: DatasetResult) -> str:
    """The split-by-split difference in words, from ``ds.paired`` (empty without it)."""
    p = ds.paired
    if not p:
        return ""
    text = (f"; split by split, signnet minus HGB monotone is {p['mean']:+.4g} on average, signnet better on "
            f"{p['signnet_better']} of {p['splits']} splits")
    if p["ci95"] is None:
        return text
    lo, hi = p["ci95"]
    verdict = ("an interval containing 0: these splits do not tell the two apart" if lo <= 0 <= hi
               else "an interval excluding 0")
    return text + f" (95% interval [{lo:+.4g}, {hi:+.4g}], Nadeau-Bengio corrected resampled t, {verdict})"


def summary(checks: list[Verdict]) -> dict:
    """Each verdict's status by key: true holds, false fails, null inconclusive."""
    return {v.key: {"holds": True, "fails": False}.get(v.status) for v in checks}
