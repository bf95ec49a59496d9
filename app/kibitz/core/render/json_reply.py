"""A reply that is JSON and nothing else (structured output): found, and pretty-printed.

The whole text must be one JSON object or array, bare or in one ```json fence; anything
around it (a sentence, a second block) means it is shown as the Markdown it is. Decided on a
finished reply only, so a streaming reply never switches between the two forms.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_FENCED = re.compile(r"\A```[ \t]*(?:json|JSON)?[ \t]*\n(?P<body>.*)\n[ \t]*```\Z", re.DOTALL)


@dataclass(frozen=True, slots=True)
class JsonReply:
    value: Any
    pretty: str  # two-space indents, as shown and as Copy JSON copies it

    @property
    def markdown(self) -> str:
        """The pretty JSON as a Markdown code block (highlighted as JSON)."""
        return f"```json\n{self.pretty}\n```"


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Pretty-printing a parsed object would drop all but one of a repeated key: such a reply
    # is shown as written instead.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def json_reply(text: str) -> JsonReply | None:
    """The JSON `text` holds when it is all JSON (an object or array), else None."""
    body = text.strip()
    if body.startswith("```"):
        match = _FENCED.match(body)
        if match is None:
            return None
        body = match["body"].strip()
    # Cheap test first: most replies are prose and are never parsed.
    if not body or body[0] not in "{[":
        return None
    try:
        value = json.loads(body, object_pairs_hook=_no_duplicates)
    except ValueError:  # JSONDecodeError, or a repeated key
        return None
    return JsonReply(value, json.dumps(value, indent=2, ensure_ascii=False))
