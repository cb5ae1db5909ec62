"""signnet: neural networks whose signs are constrained.

Layers and networks with per-weight sign control, the theory of
Wang et al., "Why do networks need negative weights?" made executable, and
reproducible experiments.
"""

__version__ = "0.1.0"

from .activations import ACTIVATIONS, activation_info, make_activation
from .batched import fit_batched
from .ceiling import CeilingResult, monotone_ceiling
from .certificate import Certificate, certify
from .checkpoint import load, save
from .datasets import DATASETS, load_dataset
from .dominance import DominanceReport, Violation, dominance_violations, find_violation
from .enforce import METHODS, attach_projection, project_, sign_penalty, sign_violation
from .errors import SignnetError
from .layers import SignedConv2d, SignedLinear
from .networks import MLP, dnn, dnn_plus
from .orientation import OrientationResult, best_orientation
from .problems import CONTROL_PROBLEMS, HARD_PROBLEMS, PROBLEMS, make_problem
from .signs import flip_mask, sign_mask
from .training import History, accuracy, fit, torch_threads
from .witnesses import Witness, corollary_witnesses

__all__ = [
    "ACTIVATIONS", "CONTROL_PROBLEMS", "DATASETS", "HARD_PROBLEMS", "METHODS", "MLP", "PROBLEMS",
    "CeilingResult", "Certificate", "DominanceReport", "History", "OrientationResult", "SignedConv2d",
    "SignedLinear", "SignnetError", "Violation", "Witness",
    "accuracy", "activation_info", "attach_projection", "best_orientation", "certify", "corollary_witnesses",
    "dnn", "dnn_plus", "dominance_violations", "find_violation", "fit", "fit_batched", "flip_mask", "load",
    "load_dataset", "make_activation", "make_problem", "monotone_ceiling", "project_", "save", "sign_mask",
    "sign_penalty", "sign_violation", "torch_threads",
]
