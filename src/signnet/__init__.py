"""signnet: neural networks whose signs are constrained.

Layers and networks with per-weight sign control, the theory of
Wang et al., "Why do networks need negative weights?" made executable, and
reproducible experiments.
"""

__version__ = "0.1.0"

from .activations import ACTIVATIONS, activation_info, make_activation
from .checkpoint import load, save
from .datasets import DATASETS, load_dataset
from .enforce import METHODS, attach_projection, project_, sign_penalty, sign_violation
from .errors import SignnetError
from .layers import SignedConv2d, SignedLinear
from .networks import MLP, dnn, dnn_plus
from .problems import CONTROL_PROBLEMS, HARD_PROBLEMS, PROBLEMS, make_problem
from .signs import flip_mask, sign_mask
from .training import History, accuracy, fit

__all__ = [
    "ACTIVATIONS", "CONTROL_PROBLEMS", "DATASETS", "HARD_PROBLEMS", "METHODS", "MLP", "PROBLEMS",
    "History", "SignedConv2d", "SignedLinear", "SignnetError",
    "accuracy", "activation_info", "attach_projection", "dnn", "dnn_plus", "fit", "flip_mask", "load",
    "load_dataset", "make_activation", "make_problem", "project_", "save", "sign_mask", "sign_penalty",
    "sign_violation",
]
