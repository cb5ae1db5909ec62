"""What :func:`signnet.theory.certificate.certify` agrees to analyse, and the sentence when it refuses.

The certificate reads a model's module tree and proves things about the
composition of its leaves. That is only the computation that runs when
``model(x)`` is exactly that composition. This module checks it and returns the
leaves in the order they run, or raises :class:`Refusal` with one sentence that
names the module (qualified name and type) and why:

* a container is an ``nn.Sequential`` (or a subclass, such as :class:`signnet.MLP`)
  whose class does not override ``forward`` or anything it calls (``__call__``,
  ``__iter__``, ...); a subclass that does may compute anything, e.g.
  ``super().forward(x) - 2 * x[:, :1]``;
* no module anywhere in the tree has a forward or forward pre-hook, no global
  module hook is registered (``register_module_forward_hook``), and no instance
  has ``forward`` (or what calls it) replaced by an attribute; the dictionaries
  of children, hooks, parameters and buffers are torch's own types (a subclass can
  hide an entry from the check and still run it);
* no torch function mode (other than a default-device context) or dispatch mode is
  active: either can change what every torch function computes;
* every parameter and buffer is a plain ``torch.Tensor`` / ``nn.Parameter``
  (a tensor subclass can change what ``F.linear`` computes);
* no container holds itself (its forward would never end), ``None`` or anything that is not a module;
* no module is compiled (``module.compile()`` makes ``module(x)`` run the compiled function) and no
  module's class has a metaclass other than ``type`` or ``abc.ABCMeta`` (another can fake the class's ``__mro__``).

Which leaf types are known is decided by ``_certificate_stages``. Tracing the
forward (``torch.fx``) was not chosen: a trace records one run of Python code and
bakes in every branch on non-tensor state (``self.training``, a counter, a random
draw), so the traced graph can differ from what runs next; refusing is sound.
"""

from __future__ import annotations

import abc
from collections import OrderedDict

import torch
import torch.nn.modules.module as torch_module
from torch import nn
from torch.overrides import _get_current_function_mode_stack
from torch.utils._device import DeviceContext

# looked up on every module's instance: replacing one changes what ``module(x)`` runs
_CALL_ATTRS = ("forward", "__call__", "_call_impl", "_wrapped_call_impl", "_conv_forward", "__iter__")
# looked up on a container's classes below nn.Sequential: what Sequential.forward and Module.__call__ read
_CONTAINER_ATTRS = ("forward", "__call__", "_call_impl", "_wrapped_call_impl", "__iter__", "__getattribute__",
                    "__getattr__", "_modules", "_forward_hooks", "_forward_pre_hooks", "_forward_hooks_with_kwargs",
                    "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs")
_GLOBAL_HOOKS = (("_global_forward_pre_hooks", "global forward pre-hook", "register_module_forward_pre_hook", "input"),
                 ("_global_forward_hooks", "global forward hook", "register_module_forward_hook", "output"))
_PLAIN_TENSORS = (torch.Tensor, nn.Parameter)
_METACLASSES = (type, abc.ABCMeta)  # the metaclasses of a module's class that change nothing torch looks up
# the dictionaries Module.__call__ and Sequential.forward read, with the types torch gives them
# (older torch used OrderedDict for all of them, and torch.load keeps what was pickled; a subclass may hide entries)
_DICTS = ("_modules", "_parameters", "_buffers", "_forward_hooks", "_forward_pre_hooks", "_forward_hooks_with_kwargs",
          "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs")
_DICT_TYPES = (dict, OrderedDict)
# classes whose attributes a container may inherit as they are
_TRUSTED_BASES = (nn.Sequential, nn.Module, object)


class Refusal(Exception):
    """The model is not analysed; ``str(refusal)`` is the one-sentence reason."""


def where(name: str, module: nn.Module) -> str:
    """``"module 'a.0' (Linear)"``, or ``"the model itself (MLP)"`` for the root."""
    return f"module '{name}' ({type(module).__name__})" if name else f"the model itself ({type(module).__name__})"


def refuse(name: str, module: nn.Module, why: str) -> Refusal:
    """The refusal ``"certify refuses <where>: <why>."``."""
    return Refusal(f"certify refuses {where(name, module)}: {why}.")


def _check_globals() -> None:
    for attr, what, register, part in _GLOBAL_HOOKS:
        hooks = getattr(torch_module, attr, None)
        if hooks is None:
            raise Refusal(f"certify refuses every model: this torch version hides its {what}s "
                          f"(torch.nn.modules.module.{attr}), so certify cannot see what they change.")
        if type(hooks) is not OrderedDict or len(hooks):
            raise Refusal(f"certify refuses every model while a {what} is registered "
                          f"(torch.nn.modules.module.{register}): it can change any module's {part}.")
    modes = [type(m).__name__ for m in _get_current_function_mode_stack() if type(m) is not DeviceContext]
    if modes:
        raise Refusal(f"certify refuses every model while a torch function mode ({modes[-1]}) is active: "
                      "it can change what any torch function computes.")
    if torch._C._len_torch_dispatch_stack():
        raise Refusal("certify refuses every model while a torch dispatch mode is active: it can change what "
                      "any torch operator computes.")


def _check_module(name: str, module: nn.Module) -> None:
    """Hooks, replaced call methods and tensor subclasses on one module (not its children)."""
    for attr in _DICTS:
        if type(vars(module).get(attr)) not in _DICT_TYPES:
            raise refuse(name, module, f"its {attr} is a {type(vars(module).get(attr)).__name__}, not a plain dict, "
                                       f"so certify cannot be sure it sees every entry torch uses")
    if type(type(module)) not in _METACLASSES:  # a metaclass can fake the class's __mro__ and vars
        raise refuse(name, module, f"its class has the metaclass {type(type(module)).__name__}, which can hide "
                                   f"what the class defines")
    if vars(module).get("_compiled_call_impl") is not None:  # module.compile(): module(x) runs this instead
        raise refuse(name, module, "it is compiled (module.compile()), so module(x) runs the compiled function, "
                                   "not its class's forward; certify it before compiling (the weights are the same)")
    replaced = [a for a in _CALL_ATTRS if a in vars(module)]
    if replaced:
        raise refuse(name, module, f"its {replaced[0]} is replaced on the instance, so what runs is not "
                                   f"the computation of its class")
    if len(module._forward_pre_hooks):
        raise refuse(name, module, "it has a forward pre-hook, which can change its input")
    if len(module._forward_hooks):
        raise refuse(name, module, "it has a forward hook, which can change its output")
    for kind, tensors in (("parameter", module._parameters), ("buffer", module._buffers)):
        for key, t in tensors.items():
            if t is not None and type(t) not in _PLAIN_TENSORS:
                raise refuse(name, module, f"its {kind} '{key}' is a {type(t).__name__}, a tensor subclass "
                                           f"that can change what torch functions compute")


def _check_container(name: str, module: nn.Sequential) -> None:
    mro = type(module).__mro__
    for attr in _CONTAINER_ATTRS:  # where Python finds it: a mixin after nn.Sequential counts (its __getattribute__)
        owner = next((cls for cls in mro if attr in vars(cls)), None)
        if owner is not None and owner not in _TRUSTED_BASES:
            raise refuse(name, module, f"its class {owner.__name__} overrides {attr}, so what runs need not "
                                       f"be the composition of its children")


def _collect(name: str, module: nn.Module, stack: frozenset, out: list) -> None:
    if not isinstance(module, nn.Sequential):
        out.append((name, module))
        return
    if id(module) in stack:
        raise refuse(name, module, "it contains itself, so its forward never ends")
    _check_container(name, module)
    for key, child in module._modules.items():
        qualified = f"{name}.{key}" if name else key
        if child is None:
            raise refuse(name, module, f"its child '{qualified}' is None, which cannot be called")
        if not isinstance(child, nn.Module):
            raise refuse(name, module, f"its child '{qualified}' is a {type(child).__name__}, not a module")
        _collect(qualified, child, stack | {id(module)}, out)


def _named_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``model.named_modules()``, refusing a child that is not a module (which ``named_modules`` would crash on)."""
    seen, out, todo = set(), [], [("", model)]
    while todo:
        name, module = todo.pop()
        if id(module) in seen:
            continue
        seen.add(id(module))
        out.append((name, module))
        children = vars(module).get("_modules")
        for key, child in reversed(list(children.items()) if isinstance(children, dict) else []):
            qualified = f"{name}.{key}" if name else key
            if child is not None and not isinstance(child, nn.Module):
                raise refuse(name, module, f"its child '{qualified}' is a {type(child).__name__}, not a module")
            if child is not None:
                todo.append((qualified, child))
    return out


def admitted_leaves(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The leaves of ``model`` in the order ``model(x)`` runs them, as ``(qualified name, module)``.

    A leaf is any module that is not an ``nn.Sequential``; a model that is not a
    Sequential is its own single leaf. Every module of the tree (parametrizations
    included) is checked, whether it runs or not.

    Raises:
        Refusal: the computation may differ from the composition of the leaves.
    """
    _check_globals()
    for name, module in _named_modules(model):
        _check_module(name, module)
    leaves: list[tuple[str, nn.Module]] = []
    _collect("", model, frozenset(), leaves)
    return leaves
