"""Reading one choice's tool calls into `ToolCallDelta`s, however the server pieces them.

What servers send in `delta.tool_calls` (or, unstreamed, `message.tool_calls`):

- OpenAI (tests/fixtures/recordings/sse/08, 09): a call's first piece has `index`, `id`,
  `type` and the function's `name` with `arguments: ""`; later pieces only `index` and the
  next fragment of `arguments`; parallel calls count `index` up from 0.
- vLLM: the same, with no `arguments` in the first piece; later pieces may carry `id: ""`
  and `type` again (InternLM/lmdeploy#3412 compares vLLM, sglang and lmdeploy).
- llama.cpp's server: pieces like OpenAI's, or a whole call (id, name, all of the arguments)
  in one piece when its parser only sees the call at the end.
- sglang: the id repeated on every piece; lmdeploy: every call at index 0, each with its own id.
- Ollama before 0.5 (ollama/ollama#7881): each call whole in one chunk, without `index`,
  and finish_reason "stop" (later versions add `index` and say "tool_calls").
- The legacy `function_call` (one call, no id) of servers that predate `tools`.

So calls are numbered here, in the order they begin (call_index 0, 1, ...), not taken from
the server's index alone: a new id at a known index starts another call, and without an
index a piece belongs to the newest call unless its id or name says it starts one. A call's
`id` and `name` go out once, with its first piece that has them; repeats are dropped.
Arguments sent as a JSON object rather than a string are serialised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .events import ToolCallDelta
from .fields import field_of, int_or_none, text_of


@dataclass
class _Call:
    id: str | None = None
    name: str | None = None


class ToolCallReader:
    """The calls of one choice of one response, as their pieces arrive."""

    def __init__(self, choice: int) -> None:
        self.choice = choice
        self._calls: list[_Call] = []
        self._by_index: dict[int, int] = {}  # the server's index -> our call_index

    def read(self, entries: Any, *, whole: bool = False) -> list[ToolCallDelta]:
        """Deltas for a `tool_calls` list; `whole` (an unstreamed message): each entry is a
        complete call of its own."""
        if not isinstance(entries, list | tuple):
            return []
        out: list[ToolCallDelta] = []
        for entry in entries:
            function = field_of(entry, "function")
            delta = self._piece(
                int_or_none(field_of(entry, "index")),
                text_of(entry, "id") or None,
                function,
                whole=whole,
            )
            if delta is not None:
                out.append(delta)
        return out

    def read_function_call(self, function_call: Any) -> list[ToolCallDelta]:
        """The legacy `function_call`: one call, pieced like a tool call at index 0."""
        if function_call is None:
            return []
        delta = self._piece(0, None, function_call, whole=False)
        return [delta] if delta is not None else []

    def _piece(
        self, index: int | None, call_id: str | None, function: Any, *, whole: bool
    ) -> ToolCallDelta | None:
        name = text_of(function, "name") or None
        arguments = _arguments(field_of(function, "arguments"))
        if call_id is None and name is None and not arguments:
            return None  # nothing to join (vLLM sends empty argument pieces)
        number = self._new(index) if whole else self._number(index, call_id, name)
        call = self._calls[number]
        new_id = call_id if call.id is None else None
        new_name = name if call.name is None else None
        call.id = call.id or call_id
        call.name = call.name or name
        return ToolCallDelta(number, new_id, new_name, arguments, self.choice)

    def _number(self, index: int | None, call_id: str | None, name: str | None) -> int:
        if index is not None:
            known = self._by_index.get(index)
            if known is not None and not _other_id(self._calls[known], call_id):
                return known
            return self._new(index)
        if self._calls:
            newest = self._calls[-1]
            if not _other_id(newest, call_id) and not (
                call_id is None and name is not None and newest.name is not None
            ):
                return len(self._calls) - 1
        return self._new(None)

    def _new(self, index: int | None) -> int:
        self._calls.append(_Call())
        number = len(self._calls) - 1
        if index is not None:
            self._by_index[index] = number
        return number


def _other_id(call: _Call, call_id: str | None) -> bool:
    """Whether `call_id` names a call other than `call` (servers that repeat ids repeat the
    same one)."""
    return call_id is not None and call.id is not None and call_id != call.id


def _arguments(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)
