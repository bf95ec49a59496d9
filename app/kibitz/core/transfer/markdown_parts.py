"""The body of one message in a Markdown export, part by part, in the order they were made.

- text: verbatim (a code fence left open is closed); consecutive text parts read as one;
- reasoning: a `<details><summary>Thinking</summary>` block before what follows it, folded
  in Obsidian, GitHub and pandoc's HTML;
- images and files: linked where the export wrote them (`![chart.png](…/chart.png)`,
  `[notes.pdf](…/notes.pdf)`, see markdown_files); a document with nowhere to link to
  (Markdown on stdout) names them in words instead (`*[image: chart.png, 602×149]*`,
  `*[file: notes.pdf, 12 KB]*`): it never links to a file that does not exist;
- a tool call: its name, then its arguments as a JSON code block; a tool result: its
  status, then its output as a code block.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence

from kibitz.core.transfer.fences import close_open_fence, fenced
from kibitz.core.transfer.markdown_text import escape, file_size, inline_code, note
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
# Where the export put an image's or a file's bytes: the relative URL to link them by.
AttachmentLink = Callable[[ImagePart | FilePart], str]
# The reasoning is model output: a "</details>" in it would end the block early.
_DETAILS_END = re.compile(r"</(details)", re.IGNORECASE)


def _reasoning(part: ReasoningPart) -> str:
    text = close_open_fence(part.text.strip())
    if not text:
        return ""  # timed but not shown by the server: nothing to fold
    text = _DETAILS_END.sub(r"&lt;/\1", text)
    return f"<details><summary>Thinking</summary>\n\n{text}\n\n</details>"


def _image(part: ImagePart, link: AttachmentLink | None) -> str:
    name = " ".join(part.name.split()) or "image"
    if link is not None:
        return f"![{escape(name)}]({link(part)})"
    if part.width and part.height:
        return note(f"image: {name}, {part.width}×{part.height}")
    return note(f"image: {name}, {file_size(part.size)}")


def _file(part: FilePart, link: AttachmentLink | None) -> str:
    name = " ".join(part.name.split()) or "file"
    if link is not None:
        return f"[{escape(name)}]({link(part)})"
    return note(f"file: {name}, {file_size(part.size)}")


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


def _blocks(parts: Sequence[Part], link: AttachmentLink | None) -> Iterator[str]:
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
            yield _image(part, link)
        elif isinstance(part, FilePart):
            yield _file(part, link)
        elif isinstance(part, ToolCallPart):
            yield _tool_call(part)
        else:
            yield _tool_result(part)
    if texts:
        yield close_open_fence(TEXT_SEPARATOR.join(texts).rstrip())


def message_markdown(parts: Sequence[Part], link: AttachmentLink | None = None) -> str:
    """The message's parts as Markdown blocks; EMPTY when none shows anything.

    `link` gives the relative URL of each image and file written beside the document;
    without it they are named in words.
    """
    return "\n\n".join(block for block in _blocks(parts, link) if block) or EMPTY
