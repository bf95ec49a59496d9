"""One ChatGPT message's content as Markdown: text, images, code, tool output, browsing, notes.

What the content types hold was learnt from public descriptions of the export and from the
parsers that read it (see tests/support/chatgpt_export.py for the sources): `text` and
`multimodal_text` have `parts` (strings, or objects such as `image_asset_pointer`); `code`
and `execution_output` have `text`; browsing has `tether_browsing_display` (`result`) and
`tether_quote` (`url`, `title`, `text`); `system_error` has `name` and `text`; reasoning
models add `thoughts` (a list of `summary`/`content`) and `reasoning_recap` (`content`).
Anything else is kept as a note with whatever text it carries, never dropped or fatal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kibitz.core.transfer.fences import fenced

# Hidden context a conversation starts with: the user's custom instructions, memories.
CONTEXT_TYPES = frozenset({"user_editable_context", "model_editable_context"})
_UNKNOWN_JSON_CHARS = 2000
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


@dataclass(frozen=True, slots=True)
class NodeText:
    text: str  # Markdown for the turn; "" when the message shows nothing
    unknown: str | None = None  # a content type that was kept as a note


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def escape(text: str) -> str:
    """Plain text that Markdown shows as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def note(text: str) -> str:
    """A short remark of ours, set apart from what was written: *[Image: cat.png]*."""
    return f"*[{escape(text)}]*"


def _size(size: Any) -> str:
    if not isinstance(size, int | float) or size <= 0:
        return ""
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""  # not reached


class _Attachments:
    """metadata.attachments by file id, remembering which ones an image part showed."""

    def __init__(self, metadata: Mapping[str, Any]) -> None:
        raw = metadata.get("attachments")
        items = raw if isinstance(raw, list) else []
        self.by_id = {_str(a.get("id")): a for a in items if isinstance(a, Mapping)}
        self.shown: set[str] = set()

    def name_for(self, pointer: str) -> str | None:
        file_id = pointer.split("://", 1)[-1]
        found = self.by_id.get(file_id)
        if found is None:
            return None
        self.shown.add(file_id)
        return _str(found.get("name")) or None

    def notes(self) -> list[str]:
        out = []
        for file_id, item in self.by_id.items():
            if file_id in self.shown:
                continue
            name = _str(item.get("name")) or file_id or "unnamed file"
            details = ", ".join(
                d for d in (_str(item.get("mime_type")), _size(item.get("size"))) if d
            )
            out.append(note(f"Attachment: {name}" + (f" ({details})" if details else "")))
        return out


def _image(part: Mapping[str, Any], attachments: _Attachments) -> str:
    pointer = _str(part.get("asset_pointer"))
    name = attachments.name_for(pointer) or pointer or "image"
    width, height = part.get("width"), part.get("height")
    size = f" ({width}×{height})" if isinstance(width, int) and isinstance(height, int) else ""
    prompt = _str(_dict(_dict(part.get("metadata")).get("dalle")).get("prompt"))
    if prompt:
        return note(f"Generated image{size}: {prompt}")
    return note(f"Image: {name}{size}")


def _part(part: Any, attachments: _Attachments) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, Mapping):
        return ""
    kind = _str(part.get("content_type"))
    if kind == "image_asset_pointer":
        return _image(part, attachments)
    if kind == "audio_transcription":
        return _str(part.get("text"))
    if kind.endswith("asset_pointer"):  # audio, video and live-camera recordings
        return note(f"Recording: {kind.removesuffix('_asset_pointer').replace('_', ' ')}")
    text = _str(part.get("text"))
    return text or note(f"Unsupported part: {kind or 'unknown'}")


def _parts(content: Mapping[str, Any], attachments: _Attachments) -> str:
    parts = content.get("parts")
    if not isinstance(parts, list):
        return ""
    rendered = [_part(p, attachments) for p in parts]
    # Text parts of one message are pieces of one text; notes stand as paragraphs.
    out = ""
    for piece in rendered:
        if not piece:
            continue
        if out and (piece.startswith("*[") or out.endswith("]*")):
            out += "\n\n"
        elif out:
            out += "\n"
        out += piece
    return out


def _code(content: Mapping[str, Any], _: _Attachments) -> str:
    text = _str(content.get("text"))
    language = _str(content.get("language"))
    return fenced(text, "" if language in ("", "unknown") else language) if text.strip() else ""


def _output(content: Mapping[str, Any], _: _Attachments) -> str:
    text = _str(content.get("text"))
    return fenced(text) if text.strip() else ""


def _browsing(content: Mapping[str, Any], _: _Attachments) -> str:
    text = _str(content.get("result")) or _str(content.get("summary"))
    return fenced(text) if text.strip() else ""


def _quote(content: Mapping[str, Any], _: _Attachments) -> str:
    text = _str(content.get("text")).strip()
    title = _str(content.get("title")).strip() or _str(content.get("domain")).strip()
    url = _str(content.get("url")).strip()
    lines = [f"> {line}" if line else ">" for line in text.splitlines()]
    if url:
        lines.append(f"> — [{escape(title or url)}](<{url.replace('>', '%3E')}>)")
    elif title:
        lines.append(f"> — {escape(title)}")
    return "\n".join(lines)


def _error(content: Mapping[str, Any], _: _Attachments) -> str:
    name = _str(content.get("name"))
    text = _str(content.get("text")).strip()
    head = f"> **Error** ({escape(name)})" if name else "> **Error**"
    return "\n".join([head, *(f"> {line}" if line else ">" for line in text.splitlines())])


def _thoughts(content: Mapping[str, Any], _: _Attachments) -> str:
    items = content.get("thoughts")
    lines = ["> **Reasoning**"]
    for item in items if isinstance(items, list) else []:
        item = _dict(item)
        summary, detail = _str(item.get("summary")).strip(), _str(item.get("content")).strip()
        if summary:
            lines += [">", f"> *{escape(summary)}*"]
        if detail:
            lines += [">", *(f"> {line}" if line else ">" for line in detail.splitlines())]
    return "\n".join(lines) if len(lines) > 1 else ""


def _recap(content: Mapping[str, Any], _: _Attachments) -> str:
    text = _str(content.get("content")).strip()
    return note(text) if text else ""


def _context(content: Mapping[str, Any], _: _Attachments) -> str:
    return ""  # shown as the system prompt instead (see context_text)


_HANDLERS: dict[str, Callable[[Mapping[str, Any], _Attachments], str]] = {
    "text": _parts,
    "multimodal_text": _parts,
    "code": _code,
    "execution_output": _output,
    "tether_browsing_display": _browsing,
    "tether_quote": _quote,
    "sonic_webpage": _quote,
    "system_error": _error,
    "thoughts": _thoughts,
    "reasoning_recap": _recap,
    **dict.fromkeys(CONTEXT_TYPES, _context),
}


def _unknown(kind: str, content: Mapping[str, Any]) -> str:
    """Content we do not know: a note, then its text, or else its JSON (shortened)."""
    text = next(
        (
            _str(content.get(k))
            for k in ("text", "result", "content", "summary")
            if _str(content.get(k))
        ),
        "",
    )
    if not text and isinstance(content.get("parts"), list):
        text = "\n".join(p for p in content["parts"] if isinstance(p, str))
    head = note(f"Kept from ChatGPT: content of type “{kind}”")
    if text.strip():
        return f"{head}\n\n{fenced(text)}"
    raw = json.dumps(content, ensure_ascii=False, default=str)
    if len(raw) > _UNKNOWN_JSON_CHARS:
        raw = raw[:_UNKNOWN_JSON_CHARS] + " …"
    return f"{head}\n\n{fenced(raw, 'json')}"


def render_message(message: Mapping[str, Any]) -> NodeText:
    """The message as Markdown, with notes for tool calls, tool output and attachments."""
    content = _dict(message.get("content"))
    metadata = _dict(message.get("metadata"))
    author = _dict(message.get("author"))
    attachments = _Attachments(metadata)
    kind = _str(content.get("content_type")) or "text"
    handler = _HANDLERS.get(kind)
    unknown = None
    if handler is not None:
        body = handler(content, attachments).strip("\n")
    else:
        body, unknown = _unknown(kind, content), kind
    recipient = _str(message.get("recipient"))
    role = _str(author.get("role"))
    if body and role == "assistant" and recipient not in ("", "all"):
        body = f"{note(f'Tool call: {recipient}')}\n\n{body}"
    elif body and role == "tool":
        name = _str(author.get("name"))
        body = f"{note(f'Tool output: {name}' if name else 'Tool output')}\n\n{body}"
    elif body and role not in ("user", "assistant", "system"):
        author_name = role or "an unknown author"
        body = f"{note(f'From {author_name}')}\n\n{body}"
    extra = attachments.notes()
    return NodeText("\n\n".join([body, *extra]) if body else "\n\n".join(extra), unknown)


def context_text(message: Mapping[str, Any]) -> str:
    """The custom instructions a hidden context message carries ("" for none)."""
    content = _dict(message.get("content"))
    if _str(content.get("content_type")) != "user_editable_context":
        return ""
    data = _dict(_dict(message.get("metadata")).get("user_context_message_data"))
    about_user = _str(data.get("about_user_message")) or _str(content.get("user_profile"))
    about_model = _str(data.get("about_model_message")) or _str(content.get("user_instructions"))
    sections = []
    if about_user.strip():
        sections.append(f"About me:\n{about_user.strip()}")
    if about_model.strip():
        sections.append(f"How to respond:\n{about_model.strip()}")
    return "\n\n".join(sections)
