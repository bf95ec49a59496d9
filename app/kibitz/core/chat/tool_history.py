"""A stored reply that holds tool calls, as the wire messages that replay it.

One assistant row holds a whole turn's parts in order, e.g. [text, call, call, result, result,
text, call, result, text]. The API wants each model response as an assistant message (its text
as `content`, "" when there is none, and its `tool_calls`) followed by one `tool` message per
call, in call order, then the next response. A response ends where results begin: a text or
call after a result starts the next one. Results are matched to calls by `tool_call_id`.

Every call must be answered or the server refuses the history (OpenAI: "An assistant message
with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'"), so a
call without a stored result (the turn was stopped, or the call never ran) is answered with
`NOT_RUN_TEXT`; a result whose call is missing is left out. Reasoning is never sent. An image
a tool returned (stored as an image part after its result) is not sent: tool messages take
text only, so its result says an image was left out.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from typing import Any

from kibitz.core.types import (
    TEXT_SEPARATOR,
    ImagePart,
    Message,
    Part,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

# What the model is told of a call that has no stored result.
NOT_RUN_TEXT = "The call was not run."
_EMPTY_RESULT = "The tool returned nothing."
_EMPTY_ERROR = "The tool failed without saying why."


def has_tool_parts(message: Message) -> bool:
    return any(isinstance(p, ToolCallPart | ToolResultPart) for p in message.parts)


def assistant_messages(parts: Sequence[Part]) -> list[dict[str, Any]]:
    """The wire messages of one stored assistant reply, oldest first (see the module doc)."""
    results = _results(parts)
    wire: list[dict[str, Any]] = []
    texts: list[str] = []
    calls: list[ToolCallPart] = []
    answered = False  # results came after the current response's calls: it has ended
    for part in parts:
        if answered and isinstance(part, TextPart | ToolCallPart):
            wire.extend(_response(texts, calls, results, len(wire)))
            texts, calls, answered = [], [], False
        if isinstance(part, TextPart):
            if part.text:
                texts.append(part.text)
        elif isinstance(part, ToolCallPart):
            calls.append(part)
        elif isinstance(part, ToolResultPart):
            answered = True
    wire.extend(_response(texts, calls, results, len(wire)))
    return wire


def _results(parts: Sequence[Part]) -> dict[str, deque[str]]:
    """Each call id's result texts in stored order, with a note for images left out."""
    found: dict[str, deque[str]] = defaultdict(deque)
    last: tuple[str, int] | None = None  # the newest result: its id and place in `found`
    for part in parts:
        if isinstance(part, ToolResultPart):
            text = part.content or (_EMPTY_ERROR if part.is_error else _EMPTY_RESULT)
            found[part.tool_call_id].append(text)
            last = (part.tool_call_id, len(found[part.tool_call_id]) - 1)
        elif isinstance(part, ImagePart) and last is not None:
            call_id, at = last
            found[call_id][at] += f"\n[The tool also returned an image ({part.name}), not shown.]"
        elif not isinstance(part, ImagePart):
            last = None
    return found


def _response(
    texts: list[str], calls: list[ToolCallPart], results: dict[str, deque[str]], serial: int
) -> list[dict[str, Any]]:
    """One model response: its assistant message, then an answer to each of its calls."""
    if not calls:
        return [{"role": "assistant", "content": TEXT_SEPARATOR.join(texts)}] if texts else []
    wire_calls = []
    answers = []
    for number, call in enumerate(calls):
        # A call stored without an id still needs one its answer can name.
        call_id = call.id or f"call_{serial}_{number}"
        pending = results.get(call.id)
        answer = pending.popleft() if pending else NOT_RUN_TEXT
        wire_calls.append(
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments or "{}"},
            }
        )
        answers.append({"role": "tool", "tool_call_id": call_id, "content": answer})
    # "" rather than null: OpenAI, vLLM, Ollama and llama.cpp take either, but llama-cpp-python
    # refuses null with a 500 and fails mid-stream when the key is left out.
    content = TEXT_SEPARATOR.join(texts)
    return [{"role": "assistant", "content": content, "tool_calls": wire_calls}, *answers]
