"""signnet: neural networks whose signs are constrained.

Layers and networks with per-weight sign control, the theory of
Wang et al., "Why do networks need negative weights?" made executable, and
reproducible experiments. The package is layered; each folder re-exports its
public names, and every public name is also available here:

* :mod:`signnet.nn` — signs, enforcement, layers, activations, networks
* :mod:`signnet.train` — the training loop, batched training, checkpoints
* :mod:`signnet.data` — the paper's problems, Figure 1 panels, bundled data sets
* :mod:`signnet.theory` — ceiling, orientation, witnesses, certificate, dominance
* :mod:`signnet.sweep` — grids of runs (TOML specs), local or on Ray, negative-weight budgets
* :mod:`signnet.experiments` — Figure 1 and the three studies (run, results, report)
* :mod:`signnet.report` — atomic writes and provenance, HTML, plotting
* :mod:`signnet.cli` — the ``signnet`` command
"""

__version__ = "0.1.0"

from signnet.data import CONTROL_PROBLEMS, DATASETS, HARD_PROBLEMS, PROBLEMS, load_dataset, make_problem
from signnet.data.tabular import TABULAR_DATASETS, TabularData, load_tabular
from signnet.errors import SignnetError
from signnet.estimators import MonotoneClassifier, MonotoneOrdinalClassifier, MonotoneRegressor
from signnet.nn import (
                        ACTIVATIONS,
                        METHODS,
                        MLP,
                        MONOTONE_ARCHITECTURES,
                        MixedActivation,
                        MonotoneMLP,
                        SignedConv2d,
                        SignedLinear,
                        activation_info,
                        attach_projection,
                        dnn,
                        dnn_plus,
                        flip_mask,
                        make_activation,
                        project_,
                        sign_init_,
                        sign_mask,
                        sign_penalty,
                        sign_violation,
)
from signnet.nn.merge import average_networks, stack_networks
from signnet.sweep import load_spec, parse_spec, read_table, run_sweep, train_group
from signnet.theory import (
                        CeilingResult,
                        Certificate,
                        DominanceReport,
                        OrientationResult,
                        Violation,
                        Witness,
                        as_monotonic_cst,
                        best_orientation,
                        certify,
                        corollary_witnesses,
                        dominance_violations,
                        find_violation,
                        monotone_ceiling,
)
from signnet.train import BatchedHistory, History, accuracy, fit, fit_batched, load, save, torch_threads

__all__ = [
    "as_monotonic_cst",
    "ACTIVATIONS", "CONTROL_PROBLEMS", "DATASETS", "HARD_PROBLEMS", "METHODS", "MLP", "PROBLEMS",
    "MonotoneClassifier", "MonotoneRegressor",
    "CeilingResult", "Certificate", "DominanceReport", "History", "OrientationResult", "SignedConv2d",
    "SignedLinear", "SignnetError", "Violation", "Witness",
    "accuracy", "activation_info", "attach_projection", "best_orientation", "certify", "corollary_witnesses",
    "dnn", "dnn_plus", "dominance_violations", "find_violation", "fit", "fit_batched", "flip_mask", "load",
    "load_dataset", "make_activation", "make_problem", "monotone_ceiling", "project_", "save", "sign_mask",
    "sign_penalty", "sign_violation", "torch_threads",
    "sign_init_",
    "MONOTONE_ARCHITECTURES", "MixedActivation", "MonotoneMLP",
    "load_spec", "parse_spec", "read_table", "run_sweep", "train_group",
]
__all__ += ["BatchedHistory"]
__all__ += ["TABULAR_DATASETS", "TabularData", "load_tabular"]
__all__ += ["average_networks", "stack_networks"]
__all__ += ["MonotoneOrdinalClassifier"]
