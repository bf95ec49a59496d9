"""The body of one message in a Markdown export, part by part, in the order they were made.

- text: verbatim (a code fence left open is closed); consecutive text parts read as one;
- reasoning: a `<details><summary>Thinking</summary>` block before what follows it, folded
  in Obsidian, GitHub and pandoc's HTML;
- images and files: their name and size ("🖼 chart.png (602×149, 10 KB)", "📎 notes.pdf
  (12 KB)"); their bytes stay in the store (the JSON export carries them);
- a tool call: its name, then its arguments as a JSON code block; a tool result: its
  status, then its output as a code block.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence

from kibitz.core.transfer.fences import close_open_fence, fenced
from kibitz.core.transfer.markdown_text import escape, file_size, inline_code
from kibitz.core.types import (
    TEXT_SEPARATOR,
    FilePart,
    ImagePart,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolStatus,
)

EMPTY = "*(no text)*"
# The reasoning is model output: a "</details>" in it would end the block early.
_DETAILS_END = re.compile(r"</(details)", re.IGNORECASE)


def _reasoning(part: ReasoningPart) -> str:
    text = close_open_fence(part.text.strip())
    if not text:
        return ""  # timed but not shown by the server: nothing to fold
    text = _DETAILS_END.sub(r"&lt;/\1", text)
    return f"<details><summary>Thinking</summary>\n\n{text}\n\n</details>"


def _image(part: ImagePart) -> str:
    details = [file_size(part.size)]
    if part.width and part.height:
        details.insert(0, f"{part.width}×{part.height}")
    return f"🖼 {escape(part.name) or 'image'} ({', '.join(details)})"


def _file(part: FilePart) -> str:
    return f"📎 {escape(part.name) or 'file'} ({file_size(part.size)})"


def _arguments(text: str) -> str:
    """The arguments as a JSON code block, laid out when they parse (verbatim if not)."""
    try:
        value = json.loads(text)
    except ValueError:
        return fenced(text) if text.strip() else ""
    if value in ({}, None):
        return ""
    return fenced(json.dumps(value, ensure_ascii=False, indent=2), "json")


def _tool_call(part: ToolCallPart) -> str:
    head = f"**Tool call** {inline_code(part.name)}"
    if part.server:
        head += f" (server {escape(part.server)})"
    arguments = _arguments(part.arguments)
    return f"{head}\n\n{arguments}" if arguments else head


_RESULT_HEADS = {
    ToolStatus.OK: "**Result**",
    ToolStatus.ERROR: "**Result** (error)",
    ToolStatus.DENIED: "**Result** (not run: the call was denied)",
}


def _tool_result(part: ToolResultPart) -> str:
    status = ToolStatus.ERROR if part.is_error and part.status is ToolStatus.OK else part.status
    head = _RESULT_HEADS[status]
    return f"{head}\n\n{fenced(part.content)}" if part.content.strip() else head


def _blocks(parts: Sequence[Part]) -> Iterator[str]:
    texts: list[str] = []
    for part in parts:
        if isinstance(part, TextPart):
            texts.append(part.text)
            continue
        if texts:
            yield close_open_fence(TEXT_SEPARATOR.join(texts).rstrip())
            texts = []
        if isinstance(part, ReasoningPart):
            yield _reasoning(part)
        elif isinstance(part, ImagePart):
            yield _image(part)
        elif isinstance(part, FilePart):
            yield _file(part)
        elif isinstance(part, ToolCallPart):
            yield _tool_call(part)
        else:
            yield _tool_result(part)
    if texts:
        yield close_open_fence(TEXT_SEPARATOR.join(texts).rstrip())


def message_markdown(parts: Sequence[Part]) -> str:
    """The message's parts as Markdown blocks; EMPTY when none shows anything."""
    return "\n\n".join(block for block in _blocks(parts) if block) or EMPTY
