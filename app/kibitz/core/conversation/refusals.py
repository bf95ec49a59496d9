"""A turn learning what a model refused: the parameter is remembered and the request goes again.

A 400 naming a parameter the model does not take (kibitz.core.capabilities) is not the reply's
end when it comes before any text: the turn learns it, tells the user once (ParameterLeftOut)
and sends the same request without it. Kept here so the turn loop reads as a loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kibitz.core.capabilities import CapabilityBook, refused_parameter
from kibitz.core.conversation.events import ParameterLeftOut

if TYPE_CHECKING:
    from kibitz.core.conversation.prepare import PreparedRequest
    from kibitz.core.errors import KibitzError

# Parameters learned (and the request sent again) at most this often in one turn.
MAX_LEARNED_PER_TURN = 3


def learned_refusal(
    book: CapabilityBook,
    provider: str,
    prepared: PreparedRequest,
    error: KibitzError,
    *,
    delivered: bool,
) -> str | None:
    """The parameter `error` taught that the model refuses and can do without, if any: only
    before any text arrived (`delivered` false), and only what was not known (a known one was
    not sent)."""
    param = refused_parameter(error)
    if param is None or delivered:
        return None
    model = str(prepared.body.get("model") or "")
    if not book.learn(provider, model, param, error.detail):
        return None
    return param


def left_out(book: CapabilityBook, provider: str, model: str, param: str) -> ParameterLeftOut:
    """The event telling the user that `param` is left out of `model`'s requests from now on."""
    refusal = book.refusals(provider, model)
    said = refusal[param].message if param in refusal else ""
    return ParameterLeftOut(model, provider, param, said)
