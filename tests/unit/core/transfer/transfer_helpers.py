"""Helpers shared by the transfer tests (a module name no other test folder uses)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kibitz.core.store import Store
from kibitz.core.types import (
    Conversation,
    FilePart,
    ImagePart,
    Message,
    MessageId,
    MessageStatus,
    ReasoningPart,
    RequestParams,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolStatus,
    Usage,
)

CODE_REPLY = (
    "Like this:\n\n````markdown\nA fence inside:\n\n```python\nprint('hi')\n```\n````\n\nDone."
)
CUT_REPLY = "Here is the start:\n\n```python\ndef unfinished(x):\n    return"


class StepClock:
    """A wall clock that moves 90.25 s per reading: every timestamp differs, with a fraction."""

    def __init__(self, start: float = 1_750_000_000.125) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 90.25
        return self.now


def fill(store: Store) -> dict[str, Conversation]:
    """Conversations covering what an export must keep: branches at the root and in the
    middle, parameters, usage, every status, a system prompt, a provider, a pinned one and
    a deleted one, nested and unfinished code fences, non-ASCII text."""
    trip = store.create_conversation(
        "Trip to Lisbon",
        params=RequestParams(model="gpt-4o", temperature=0.2, stop=("END",), seed=7),
        provider="work",
    )
    eat = store.add_message(trip.id, None, Role.USER, "Where should I eat?")
    store.add_message(
        trip.id, eat.id, Role.ASSISTANT, "Try the pastéis de nata.", model="gpt-4o",
        usage=Usage(12, 5, 17), finish_reason="stop",
    )  # fmt: skip
    stay = store.add_message(trip.id, None, Role.USER, "Where should I stay?")
    first = store.add_message(
        trip.id, stay.id, Role.ASSISTANT, "Alfama is lovely.", model="gpt-4o", choice_index=0
    )
    store.add_message(
        trip.id, stay.id, Role.ASSISTANT, "Try Baixa.", model="gpt-4o-mini", choice_index=1,
        status=MessageStatus.LENGTH, finish_reason="length", usage=Usage(20, 3, 23),
    )  # fmt: skip
    store.add_message(trip.id, first.id, Role.USER, "And in the evening?")
    store.select_branch(first.id)

    code = store.create_conversation("Code: fences ``` and `ticks`", system_prompt="Be brief.")
    ask = store.add_message(code.id, None, Role.USER, "Show me nested fences")
    done = store.add_message(code.id, ask.id, Role.ASSISTANT, CODE_REPLY, model="m1")
    again = store.add_message(code.id, done.id, Role.USER, "Now cut off")
    store.add_message(
        code.id, again.id, Role.ASSISTANT, CUT_REPLY, status=MessageStatus.INTERRUPTED,
        error="stream_interrupted: The connection dropped in the middle of the reply",
    )  # fmt: skip
    store.set_pinned(code.id, True)

    failed = store.create_conversation("Ünïcödé / “quotes” : *stars*")
    q = store.add_message(failed.id, None, Role.USER, "日本語のテキスト")
    store.add_message(
        failed.id, q.id, Role.ASSISTANT, "", status=MessageStatus.ERROR,
        error="auth: The server refused the API key",
    )  # fmt: skip

    gone = store.create_conversation("Deleted one")
    store.add_message(gone.id, None, Role.USER, "forget me")
    store.delete([gone.id])
    empty = store.create_conversation("")
    return {
        name: store.get_conversation(c.id)
        for name, c in (
            ("trip", trip), ("code", code), ("failed", failed), ("gone", gone), ("empty", empty)
        )
    }  # fmt: skip


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3  # not a real image: bytes are bytes
PDF = b"%PDF-1.7\n" + "naïve café\n".encode() * 40 + b"\x00\xff\xfe"


def with_every_part(store: Store) -> Conversation:
    """A conversation whose messages hold parts of all six types, files included."""
    conversation = store.create_conversation("Every part", system_prompt="Be exact.")
    image, document = store.put_blob(PNG), store.put_blob(PDF)
    question = store.add_message(
        conversation.id, None, Role.USER,
        [
            TextPart("What is in these?"),
            ImagePart(image, "chart 1.png", "image/png", len(PNG), 640, 480),
            FilePart(document, "notes.pdf", "application/pdf", len(PDF), "naïve café"),
            TextPart("Second paragraph."),
        ],
    )  # fmt: skip
    store.add_message(
        conversation.id, question.id, Role.ASSISTANT,
        [
            ReasoningPart("Look at the chart first.", seconds=4.5),
            ToolCallPart("call_1", "fs__read", '{"path": "notes.pdf"}', "files", "read"),
            ToolResultPart("call_1", "naïve café"),
            ToolCallPart("call_2", "shell", '{"cmd": "rm -rf /"}'),
            ToolResultPart("call_2", "", is_error=True, status=ToolStatus.DENIED),
            ToolCallPart("call_3", "web", '{"q": '),  # cut off: not valid JSON, kept as is
            ToolResultPart("call_3", "bad arguments", is_error=True, status=ToolStatus.ERROR),
            ReasoningPart("Then the notes."),
            TextPart("A chart and notes."),
            ImagePart(image, "again.png", "image/png", len(PNG)),  # the same bytes, stored once
        ],
        model="o3", usage=Usage(100, 50, 150, reasoning_tokens=30), finish_reason="stop",
    )  # fmt: skip
    return store.get_conversation(conversation.id)


@dataclass(frozen=True)
class Snapshot:
    """Everything about the stored conversations except the row ids (which imports renumber)."""

    conversations: list[tuple[Any, ...]]

    def __len__(self) -> int:
        return len(self.conversations)


def _tree(messages: list[Message], leaf: MessageId | None) -> tuple[Any, ...]:
    """Messages with ids replaced by their position in id order (parents by position too)."""
    ordered = sorted(messages, key=lambda m: m.id)
    position = {m.id: i for i, m in enumerate(ordered)}
    rows = tuple(
        (
            None if m.parent_id is None else position[m.parent_id],
            replace(m, id=MessageId(0), conversation_id=0, parent_id=None),  # type: ignore[arg-type]
        )
        for m in ordered
    )
    return rows, None if leaf is None else position[leaf]


def snapshot(store: Store) -> Snapshot:
    everything = [*store.list_conversations(), *store.list_conversations(deleted=True)]
    out = []
    for c in sorted(everything, key=lambda c: c.uid):
        tree = _tree(store.all_messages(c.id), c.current_leaf_id)
        plain = replace(c, id=0, current_leaf_id=None)  # type: ignore[arg-type]
        out.append((plain, tree))
    return Snapshot(out)


_FRONT_KEY = re.compile(r"^([a-z_]+): (.*)$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def front_matter(markdown: str) -> dict[str, str]:
    """Parse the YAML front matter strictly, as the subset we write: `key: "JSON string"` or
    `key: 2025-06-15T14:26:40Z`, between `---` lines at the very top. Anything else fails."""
    lines = markdown.split("\n")
    assert lines[0] == "---", "front matter must open the file"
    end = lines.index("---", 1)
    out: dict[str, str] = {}
    for line in lines[1:end]:
        match = _FRONT_KEY.match(line)
        assert match, f"not a `key: value` line: {line!r}"
        key, value = match.groups()
        assert key not in out, f"{key} twice"
        if value.startswith('"'):
            parsed = json.loads(value)  # a JSON string is a YAML double-quoted scalar
            assert isinstance(parsed, str)
            out[key] = parsed
        else:
            assert _TIMESTAMP.match(value), f"{key}: {value!r} is neither quoted nor a timestamp"
            out[key] = value
    assert lines[end + 1] == "", "a blank line follows the front matter"
    return out


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
