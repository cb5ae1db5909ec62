"""The one exception type signnet raises for bad input.

Every message is a full sentence that names the offending value and says how to
fix it. The command line turns a :class:`SignnetError` into one readable line
and a non-zero exit status.
"""

from __future__ import annotations


class SignnetError(ValueError):
    """Bad input to signnet: the message names the value and the fix."""


def choice_error(what: str, value: object, choices) -> SignnetError:
    """Build the error for ``value`` not being one of ``choices``.

    Example: ``choice_error("activation", "relu6", ["relu", "tanh"])`` gives
    "Unknown activation 'relu6'; choose one of: relu, tanh."
    """
    listed = ", ".join(str(c) for c in choices)
    return SignnetError(f"Unknown {what} {value!r}; choose one of: {listed}.")
