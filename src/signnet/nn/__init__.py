"""Sign-constrained building blocks: sign specifications, enforcement, layers, activations, networks.

* :mod:`.signs` — what sign each weight must have (``"nonneg"``, masks, ``monotonic_cst``).
* :mod:`.enforce` — how a sign is kept: projection, reparametrisation, penalty.
* :mod:`.init` — :func:`sign_init_`, :func:`sign_init_network_`: sign-aware initialisation.
* :mod:`.layers` — :class:`SignedLinear`, :class:`SignedConv2d`.
* :mod:`.activations` — activations with their monotone/convex flags.
* :mod:`.networks` — :class:`MLP`, :func:`dnn`, :func:`dnn_plus` (Definition 1.2 of Wang et al.).
* :mod:`.monotone` — :class:`MonotoneMLP`: monotone by construction in chosen features
  (:data:`MONOTONE_ARCHITECTURES` ``"dnn+"``, ``"mixed"``, ``"alternating"``).
* :mod:`.merge` — :func:`average_networks`: ``R`` MonotoneMLP averaged exactly into one (block-diagonal);
  :func:`stack_networks`: their outputs side by side.
"""

from signnet.nn.activations import ACTIVATIONS, MixedActivation, activation_info, make_activation
from signnet.nn.enforce import METHODS, TRANSFORMS, attach_projection, project_, sign_penalty, sign_violation
from signnet.nn.init import INITS, sign_init_, sign_init_network_
from signnet.nn.layers import SignedConv2d, SignedLinear
from signnet.nn.merge import average_networks, stack_networks
from signnet.nn.monotone import MONOTONE_ARCHITECTURES, MonotoneMLP
from signnet.nn.networks import HEADS, MLP, dnn, dnn_plus
from signnet.nn.signs import NAMED_SIGNS, flip_mask, sign_mask

__all__ = [
    "ACTIVATIONS", "HEADS", "METHODS", "MLP", "NAMED_SIGNS", "TRANSFORMS", "SignedConv2d", "SignedLinear",
    "activation_info", "attach_projection", "dnn", "dnn_plus", "flip_mask", "make_activation", "project_",
    "sign_mask", "sign_penalty", "sign_violation",
    "INITS", "sign_init_", "sign_init_network_",
    "MONOTONE_ARCHITECTURES", "MixedActivation", "MonotoneMLP",
    "average_networks", "stack_networks",
]
