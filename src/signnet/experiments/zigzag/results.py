"""Typed results of the zig-zag study (Q&A seed 002), the one source of its ``results.json`` schema.

:func:`signnet.experiments.zigzag.run.compute_zigzag` returns a
:class:`ZigzagResults`; ``to_dict()`` gives the ``results.json`` body (the
report adds the provenance block of :func:`signnet.report.artifacts.run_metadata`).
Every field carries its description (``doc``), read by
:func:`signnet.experiments.results.schema_lines`.
"""

from __future__ import annotations

from dataclasses import dataclass

from signnet.experiments.results import Results, Verdict, doc

CLAIM = ("When the input of a neuron is always positive, the gradient on its weights is always all positive "
         "or all negative, so updates zig-zag; zero-centred data and activations help.")
SOURCE = ("Q&A seed 002: \u201cWhat is the problem with training Neural Networks with back propagation with "
          "activation functions that only output positive values?\u201d")
ACT_LABELS = {"sigmoid": "sigmoid", "sigmoid_centered": "sigmoid \u2212 1/2", "tanh": "tanh"}


# --------------------------------------------------------------------------- 1. sign coherence

@dataclass
class CoherenceCase(Results):
    """Sign coherence of the weight gradients of one measured layer, counted over every training step."""

    case: str = doc("the measured layer and what feeds it, e.g. 'sigmoid hidden units \u2192 output layer'")
    activation: str = doc("hidden activation of the probe network: sigmoid, relu or tanh")
    data: str = doc("inputs of the network: 'raw' (pixels / 16) or 'standardised'")
    layer_index: int = doc("index of the measured linear layer in the MLP (0 first layer, 2 output layer)")
    inputs: str = doc("kind of inputs of the measured layer: positive, non-negative or centered")
    d: int = doc("number of inputs of the measured layer (coordinates of one unit's weight gradient)")
    per_example: float = doc("share of judged per-example weight gradients whose non-zero coordinates share one sign")
    minibatch: float = doc("the same share for minibatch-mean weight gradients (what SGD applies)")
    n_per_example: int = doc("per-example gradient vectors judged (with a non-zero coordinate)")
    n_minibatch: int = doc("minibatch-mean gradient vectors judged")
    n_all_zero_per_example: int = doc("per-example gradient vectors with no non-zero coordinate (left out)")
    n_all_zero_minibatch: int = doc("minibatch-mean gradient vectors with no non-zero coordinate (left out)")
    theory_per_example: float = doc("1 for inputs >= 0 (exact); 2 / 2**d for independent symmetric inputs")
    input_mean: float = doc("mean of the measured layer's inputs over all steps")
    input_negative_fraction: float = doc("share of the measured layer's inputs below 0")


@dataclass
class Coherence(Results):
    """Measurement 1: how often weight gradients have all their non-zero coordinates of one sign."""

    d: int = doc("width of the hidden layer feeding the output layer")
    theory_centered: float = doc("2 / 2**d: chance that d independent symmetric coordinates share a sign")
    positive_inputs: CoherenceCase = doc("the case 'sigmoid hidden units \u2192 output layer' (also in cases)")
    centered_inputs: CoherenceCase = doc("the case 'tanh hidden units \u2192 output layer' (also in cases)")
    cases: list[CoherenceCase] = doc("every measured layer")


# --------------------------------------------------------------------------- 2. trajectories

@dataclass
class InputSetting(Results):
    """One input distribution of the two-weight regression and its descent toward w* = (1, -1)."""

    hessian: list[list[float]] = doc("H = mean x x^T of the loss mean (w.x - y)^2 / 2 (independent of w*)")
    eigenvalues: list[float] = doc("eigenvalues of H, ascending")
    condition_number: float = doc("largest over smallest eigenvalue of H")
    input_mean: list[float] = doc("mean of the inputs x")
    lr: float = doc("gradient-descent step: lr_fraction_of_2_over_L_max * 2 / L_max")
    sgd_lr: float = doc("per-example SGD step: 1 / max_n ||x_n||^2")
    steps: int | None = doc("GD steps to ||w - w*|| <= tol for w* = (1, -1); null if not reached")
    gd_same_sign_update_fraction: float = doc("share of GD updates with both coordinates of one sign, w* = (1, -1)")
    sgd_steps: int | None = doc("per-example SGD steps to tol for w* = (1, -1); null if not reached")
    sgd_same_sign_update_fraction: float = doc("share of SGD updates with both coordinates of one sign, w* = (1, -1)")


@dataclass
class Descent(Results):
    """Gradient descent and per-example SGD from w0 toward one optimum, for one input distribution."""

    steps: int | None = doc("GD steps to ||w - w*|| <= tol; null if not reached")
    gd_same_sign_update_fraction: float = doc("share of GD updates with both coordinates of one sign")
    gd_path: list[list[float]] = doc("w after each GD step, starting at w0")
    sgd_steps: int | None = doc("per-example SGD steps to tol; null if not reached")
    sgd_same_sign_update_fraction: float = doc("share of SGD updates with both coordinates of one sign")
    sgd_path: list[list[float]] = doc("w after each SGD step, starting at w0 (at most the first 400 steps)")


@dataclass
class Optimum(Results):
    """Descents toward one optimum w*, with positive and with centred inputs."""

    name: str = doc("'opposite signs' (w* = (1, -1), the zig-zag case) or 'same signs' (w* = (1, 1))")
    w_star: list[float] = doc("the optimum; the targets are y = x . w*")
    steps_positive: int | None = doc("GD steps to tol, positive inputs")
    steps_centered: int | None = doc("GD steps to tol, centred inputs")
    steps_ratio: float | None = doc("steps_positive / steps_centered")
    sgd_steps_positive: int | None = doc("per-example SGD steps to tol, positive inputs")
    sgd_steps_centered: int | None = doc("per-example SGD steps to tol, centred inputs")
    descents: dict[str, Descent] = doc("the runs, keyed by inputs: positive, centered")
    draw_ratios: list[float | None] = doc("steps_positive / steps_centered of GD on each further data draw")
    draws_centred_faster: int = doc("further draws on which GD with centred inputs needs fewer steps")
    draws_gap_larger_here: int = doc("further draws on which this optimum's ratio exceeds the other optimum's")


@dataclass
class Trajectory(Results):
    """Measurement 2: a linear neuron with two weights, gradient descent on positive or centred inputs."""

    n: int = doc("data points x ~ U(0, 1)^2 per draw")
    tol: float = doc("a run has converged when ||w - w*|| <= tol")
    w_star: list[float] = doc("the zig-zag optimum (1, -1) that the top-level step counts refer to")
    w0: list[float] = doc("start of every descent")
    lr_fraction_of_2_over_L_max: float = doc("GD step as a fraction of the stability limit 2 / L_max")
    draws: int = doc("further data draws (seeds derived from the run's seed) for the spread of the step ratio")
    settings: dict[str, InputSetting] = doc("per input distribution (positive, centered), for w* = (1, -1)")
    steps_positive: int | None = doc("GD steps to tol, positive inputs, w* = (1, -1)")
    steps_centered: int | None = doc("GD steps to tol, centred inputs, w* = (1, -1)")
    steps_ratio: float | None = doc("steps_positive / steps_centered for w* = (1, -1)")
    sgd_steps_positive: int | None = doc("per-example SGD steps to tol, positive inputs, w* = (1, -1)")
    sgd_steps_centered: int | None = doc("per-example SGD steps to tol, centred inputs, w* = (1, -1)")
    optima: list[Optimum] = doc("both optima: (1, -1) opposite signs, then (1, 1) same signs")


# --------------------------------------------------------------------------- 3. training curves

@dataclass
class Condition(Results):
    """One activation x input centring of the digits MLP, trained with several seeds."""

    activation: str = doc("hidden activation: sigmoid, sigmoid_centered (sigmoid - 1/2) or tanh")
    centered: bool = doc("inputs minus the training mean (true) or pixels / 16 in [0, 1] (false)")
    label: str = doc("activation and centring in words")
    loss: list[list[float]] = doc("training cross-entropy before training and after each epoch, per seed "
                                  "(1e6 marks a non-finite loss)")
    test_accuracy: list[float] = doc("test accuracy after training, per seed")
    epochs_to_threshold: list[int | None] = doc("first epoch with loss <= threshold, per seed (null: never)")
    epochs_to_stay_below: list[int | None] = doc("epoch from which the loss stays <= threshold, per seed")
    median_epochs_to_threshold: float | None = doc("median over seeds (null if a seed never reached it)")
    median_epochs_to_stay_below: float | None = doc("median over seeds (null if a seed never stayed below)")
    final_loss_mean: float = doc("mean over seeds of the last training loss")
    largest_rise: float = doc("largest climb of the loss above its best value so far, over seeds")


@dataclass
class Training(Results):
    """Measurement 3: training curves of a 64 -> 32 -> 10 MLP on digits, plain SGD."""

    lr: float = doc("SGD learning rate")
    optimizer: str = doc("torch.optim optimiser")
    batch_size: int = doc("minibatch size")
    epochs: int = doc("epochs per run")
    seeds: int = doc("initialisation / minibatch-order seeds per condition (shared by every condition)")
    threshold: float = doc("training-loss threshold for the epoch counts")
    hidden: list[int] = doc("hidden widths")
    conditions: list[Condition] = doc("the six activation x centring conditions")


# --------------------------------------------------------------------------- the whole study

@dataclass
class ZigzagResults(Results):
    """Everything the zig-zag study measured, with its verdicts (``results.json`` without provenance)."""

    study: str = doc("'zigzag'")
    claim: str = doc("the claim under test, as quoted in the seed")
    source: str = doc("where the claim comes from")
    seed: int = doc("the run's seed; every other seed is derived from it with numpy's SeedSequence")
    config: dict = doc("settings of the run (quick, widths, epochs, learning rates, seeds)")
    coherence: Coherence = doc("measurement 1: sign coherence of weight gradients")
    trajectory: Trajectory = doc("measurement 2: descent paths of a two-weight neuron")
    training: Training = doc("measurement 3: training curves on digits")
    summary: dict = doc("the verdicts in short (true holds, false fails, null inconclusive) and the medians")
    checks: list[Verdict] = doc("the claims checked, each computed from the numbers above")
    elapsed_seconds: float = doc("wall-clock time of the measurements")
