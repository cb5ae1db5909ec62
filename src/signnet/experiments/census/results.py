"""Typed results of the census (Q&A seed 000: do ReLU networks end up with negative weights?).

One :class:`CensusRun` per trained network, a :class:`CensusSummary` of the
numbers that answer the Q&A's claims, and the :class:`~signnet.experiments.results.Verdict`
objects computed from them, gathered in :class:`CensusResults`. Every field
carries its description (``doc``); :func:`~signnet.experiments.results.schema_lines`
turns them into the ``results.json`` schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from signnet.experiments.results import Results, Verdict, doc

CLAIM = ("Rectified weights of layers after the first one are non-negative regardless how many "
         "epochs in training.")
SOURCE = "Q&A seed 000: \u201cCan neural network (e.g., convolutional neural network) have negative weights?\u201d"
FIGURES = ("negative_fraction.png", "weight_means.png")
LAYER_NAMES = {"cnn": ("conv1", "conv2", "linear"), "mlp": ("linear1", "linear2", "linear3")}
TRAINED_ACCURACY = 0.9  # a digits classifier (10 classes, chance 0.1) counts as trained at this test accuracy


@dataclass
class CensusConfig(Results):
    """The settings of one census run (the ``config`` block of ``results.json``)."""

    study: str = doc("always \"census\"")
    quick: bool = doc("quick mode: a 300-image subset and 2 epochs (a smoke run; the networks do not train)")
    epochs: int = doc("training epochs of every network")
    lr: float = doc("learning rate")
    optimizer: str = doc("the optimiser: \"adam\" (torch.optim.Adam)")
    weight_decay_form: str = doc("how weight decay enters the update (Adam's coupled L2 term: wd\u00b7w is added to "
                                 "the gradient before Adam's moment estimates)")
    batch_size: int = doc("minibatch size")
    n_train: int = doc("training images")
    n_test: int = doc("test images")
    dataset: str = doc("always \"digits\" (scikit-learn's bundled 8x8 digits)")
    n_runs: int = doc("networks trained (the grid of variants)")
    trained_accuracy: float = doc("test accuracy at or above which a network counts as trained; a verdict about "
                                  "what training reached is inconclusive below it")


@dataclass
class LayerHistory(Results):
    """Sign statistics of one layer's weights at every epoch (index 0 is the initialisation)."""

    negative_fraction: list[float] = doc("share of weights < 0")
    zero_fraction: list[float] = doc("share of weights == 0")
    positive_mean: list[float] = doc("mean of the weights > 0 (0 when there are none)")
    negative_mean: list[float] = doc("mean of the weights < 0 (0 when there are none)")


@dataclass
class RunHistory(Results):
    """Per-epoch record of one census network."""

    epoch: list[int] = doc("epoch numbers, 0 = initialisation")
    train_loss: list[float] = doc("mean training cross-entropy of each epoch (epochs 1..E)")
    layers: dict[str, LayerHistory] = doc("per layer name, first to last")


@dataclass
class CensusRun(Results):
    """One trained census network: its variant, its weight-sign census and its accuracy."""

    model: str = doc("\"cnn\", \"mlp\" or \"dnn_plus\" (the sign-constrained twin)")
    architecture: str = doc("\"cnn\" or \"mlp\"")
    label: str = doc("the variant in words")
    sign: str = doc("sign of every weight layer: \"free\" or \"nonneg\" (DNN+, projected after every step)")
    init: str = doc("\"default\" (PyTorch's symmetric initialisation) or \"nonneg\" (free weights started at |w|)")
    weight_decay: float = doc("weight decay (Adam's L2 term)")
    activation: str = doc("hidden activation: \"relu\" or \"leaky_relu\"")
    centered: bool = doc("inputs standardised (true) or raw pixels scaled to [0, 1] (false, all non-negative)")
    layers: list[str] = doc("weight layer names, first to last")
    n_weights: dict[str, int] = doc("number of weights per layer (biases are free and not counted)")
    initial_negative_fraction: dict[str, float] = doc("share of weights < 0 at initialisation, per layer")
    final_negative_fraction: dict[str, float] = doc("share of weights < 0 after training, per layer")
    final_zero_fraction: dict[str, float] = doc("share of weights == 0 after training, per layer")
    max_negative_fraction_over_training: dict[str, float] = doc("largest share of weights < 0 over all epochs")
    sign_changed_fraction: dict[str, float] = doc("share of weights whose sign strictly flipped between "
                                                  "initialisation and the end (w0 > 0 > wT or w0 < 0 < wT)")
    step_sign_flips: dict[str, int] = doc("number of (step, weight) pairs where one optimiser step (and the "
                                          "projection of DNN+ layers) strictly flipped the weight's sign, summed "
                                          "over all steps, per layer")
    steps: int = doc("optimiser steps taken")
    relative_change: dict[str, float] = doc("||W_T - W_0|| / ||W_0|| per layer")
    test_accuracy: float = doc("accuracy on the held-out test images")
    final_train_loss: float = doc("mean training cross-entropy of the last epoch")
    seconds: float = doc("wall-clock time of this network's training")
    history: RunHistory = doc("per-epoch record")


@dataclass
class CensusSummary(Results):
    """The numbers that answer the Q&A's claims ("free runs": sign="free" with the default start)."""

    mean_later_layers_negative_fraction_by_weight_decay: dict[str, float] = doc(
        "mean final share of negative weights in the layers after the first, free runs, per weight decay")
    relu_later_layers_min_negative_fraction: float | None = doc(
        "smallest final share of negative weights among the layers after the first, free ReLU runs")
    relu_later_layers_max_negative_fraction: float | None = doc("largest such share")
    relu_later_layers_mean_negative_fraction: float | None = doc("mean such share")
    relu_later_layers_min_negative_fraction_by_weight_decay: dict[str, float | None] = doc(
        "per weight decay: smallest final share of negative weights among the layers after the first, free ReLU runs")
    mean_final_negative_fraction_by_layer_position: dict[str, list[float | None]] = doc(
        "per \"<model>/<activation>/wd=<wd>\": mean final share of negative weights of layers 1, 2, 3 "
        "(mean over centred and uncentred inputs)")
    nonneg_start_max_initial_negative_fraction: float = doc(
        "largest share of negative weights at initialisation over the layers of the non-negative starts (0 by "
        "construction)")
    nonneg_start_later_layers_negative_fraction: dict[str, dict[str, float]] = doc(
        "per architecture and layer after the first: final share of negative weights of the free ReLU network "
        "started with every weight >= 0")
    dnn_plus_max_negative_fraction: float = doc("largest share of negative weights of the DNN+ twins over all "
                                                "layers and epochs")
    mean_sign_changed_fraction_later_layers: float | None = doc(
        "mean share of weights whose sign flipped between initialisation and the end, layers after the first, "
        "free runs")
    mean_sign_changed_fraction_by_layer: dict[str, float] = doc("the same per \"<architecture>/<layer>\"")
    step_sign_flips_later_layers_by_weight_decay: dict[str, int] = doc(
        "per weight decay: one-step sign flips summed over the layers after the first and all steps, free runs")
    step_sign_flip_rate_later_layers_by_weight_decay: dict[str, float] = doc(
        "per weight decay: those flips divided by (weights x steps), i.e. the chance that one step flips one "
        "weight's sign")
    min_test_accuracy: dict[str, float] = doc(
        "lowest test accuracy per group of runs a verdict rests on: \"free_relu\", \"nonneg_start\", "
        "\"weight_decay\" (free runs with weight decay > 0), \"dnn_plus\"")
    claim_refuted: bool | None = doc(
        "the Q&A claim is refuted: true when the verdicts census.relu_later_layers_negative and "
        "census.nonneg_start_acquires_negatives both hold, false when one fails, null when one is inconclusive "
        "(the networks did not train)")


@dataclass
class CensusResults(Results):
    """Everything the census measured; ``results.json`` is :meth:`to_dict` plus the provenance block."""

    study: str = doc("always \"census\"")
    claim: str = doc("the Q&A claim under test")
    source: str = doc("where the claim comes from")
    config: CensusConfig = doc("settings of the run")
    seed: int = doc("seeds the data split, every initialisation and the minibatch order")
    runs: list[CensusRun] = doc("one entry per trained network")
    summary: CensusSummary = doc("the numbers behind the verdicts")
    verdicts: list[Verdict] = doc("the claims checked, each computed from the numbers of this run")
    elapsed_seconds: float = doc("wall-clock time of the whole census")
