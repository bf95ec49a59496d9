"""One ChatGPT message (a node of the export's tree) as the parts of a Kibitz message.

What the content types hold was learnt from public descriptions of the export and from real
exports quoted in public repositories (see tests/support/chatgpt_export.py for the sources):

- `text` and `multimodal_text` have `parts`: strings, or objects such as
  `image_asset_pointer` (`asset_pointer`, `width`, `height`, `metadata.dalle.prompt`) and
  `audio_transcription`; `metadata.attachments` lists uploaded files (`id`, `name`,
  `mime_type`, or `mimeType` in some exports, `size`, and an image's `width`, `height`);
- the assistant's reasoning: `thoughts` (a list of `summary` and `content`), then
  `reasoning_recap` (`content` "Thought for 38s", `metadata.finished_duration_sec`); the
  `analysis` channel is reasoning too;
- a tool call: an assistant message whose `recipient` is the tool ("python", "web.run",
  "dalle.text2im", "canmore.create_textdoc"), its input in `code` (`text`) or `text`;
- the tool's answer: a message of role `tool` named after it (`author.name`):
  `execution_output` (`text`, with `metadata.aggregate_result.status`),
  `tether_browsing_display` (`result`), `tether_quote` (`url`, `title`, `text`),
  `system_error` (`name`, `text`), `computer_output` (`screenshot`), or text and images.

Images and files become image and file parts, where they appear in the message, when the
export holds their bytes (see chatgpt_files); an uploaded text file keeps its text, which is
what a later request sends. Otherwise a short note names them. Content of a kind not known
here is kept as a note with whatever text it carries, never dropped or fatal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kibitz.core.transfer.chatgpt_files import ExportFiles, FoundFile
from kibitz.core.transfer.fences import fenced
from kibitz.core.transfer.markdown_text import escape, file_size, note
from kibitz.core.types import (
    FilePart,
    ImagePart,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolStatus,
)

# Hidden context a conversation starts with: the user's custom instructions, memories.
CONTEXT_TYPES = frozenset({"user_editable_context", "model_editable_context"})
_UNKNOWN_JSON_CHARS = 2000
_RECAP_TIME = re.compile(r"(?:(\d+)\s*m\w*\s*)?(\d+)\s*s\b")
_RUN_OK = (None, "success")  # aggregate_result.status of a code run that worked


@dataclass(frozen=True, slots=True)
class NodeContent:
    """What one node adds to its turn.

    Tool calls come with an empty `id` and results with an empty `tool_call_id`: the turn
    they join pairs them up (see chatgpt_import).
    """

    parts: tuple[Part, ...] = ()
    seconds: float | None = None  # a reasoning recap: how long the model thought
    unknown: str | None = None  # a content type kept as a note

    def shows(self) -> bool:
        return bool(self.parts) or self.seconds is not None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _mime_type(attachment: Mapping[str, Any]) -> str:
    return _str(attachment.get("mime_type")) or _str(attachment.get("mimeType"))


def _image_part(found: FoundFile, described: Mapping[str, Any]) -> ImagePart:
    """The image's part: its size as its header gives it, else as the export describes it."""
    width, height = found.width, found.height
    if width is None or height is None:
        width, height = _int(described.get("width")), _int(described.get("height"))
    return ImagePart(found.digest, found.name, found.mime_type, found.size, width, height)


class _Builder:
    """Parts of one message: consecutive strings are pieces of one text, notes and files
    stand apart."""

    def __init__(self, files: ExportFiles, metadata: Mapping[str, Any]) -> None:
        self.files = files
        self.parts: list[Part] = []
        self.text: list[str] = []
        raw = metadata.get("attachments")
        items = raw if isinstance(raw, list) else []
        self.attachments = {_str(a.get("id")): a for a in items if isinstance(a, Mapping)}
        self.shown: set[str] = set()

    def write(self, text: str) -> None:
        if text:
            self.text.append(text)

    def add(self, part: Part) -> None:
        if self.text:
            self.parts.append(TextPart("\n".join(self.text)))
            self.text = []
        self.parts.append(part)

    def note(self, text: str) -> None:
        self.add(TextPart(note(text)))

    def attachment(self, pointer: str) -> Mapping[str, Any]:
        """The attachment a pointer names (marked as shown), or {}."""
        file_id = pointer.split("://", 1)[-1].split("?", 1)[0]
        found = self.attachments.get(file_id)
        if found is None:
            return {}
        self.shown.add(file_id)
        return found

    def find(self, pointer: str, attachment: Mapping[str, Any]) -> FoundFile | None:
        return self.files.find(pointer, _str(attachment.get("name")), _mime_type(attachment))

    def finish(self) -> tuple[Part, ...]:
        for file_id, item in self.attachments.items():
            if file_id not in self.shown:
                self._attached_file(file_id, item)
        if self.text:
            self.parts.append(TextPart("\n".join(self.text)))
            self.text = []
        return tuple(self.parts)

    def _attached_file(self, file_id: str, item: Mapping[str, Any]) -> None:
        found = self.find(file_id, item) if file_id else None
        if found is not None:
            if found.mime_type.startswith("image/"):
                self.add(_image_part(found, item))
            else:
                self.add(
                    FilePart(found.digest, found.name, found.mime_type, found.size, found.text)
                )
            return
        name = _str(item.get("name")) or file_id or "unnamed file"
        size = item.get("size")
        details = [_mime_type(item)]
        if isinstance(size, int | float) and not isinstance(size, bool) and size > 0:
            details.append(file_size(size))
        described = ", ".join(d for d in details if d)
        self.note(f"Attachment: {name}" + (f" ({described})" if described else ""))


def _image_description(part: Mapping[str, Any], name: str) -> str:
    width, height = _int(part.get("width")), _int(part.get("height"))
    size = f" ({width}×{height})" if width and height else ""
    prompt = _str(_dict(_dict(part.get("metadata")).get("dalle")).get("prompt"))
    return f"Generated image{size}: {prompt}" if prompt else f"Image: {name}{size}"


def _image(part: Mapping[str, Any], out: _Builder) -> tuple[bool, str]:
    """Add the image a pointer names if the export holds it: (added, what to say about it:
    its description when it is missing, the prompt of a generated one)."""
    pointer = _str(part.get("asset_pointer"))
    attachment = out.attachment(pointer)
    found = out.find(pointer, attachment) if pointer else None
    if found is None:
        name = _str(attachment.get("name")) or pointer or "image"
        return False, _image_description(part, name)
    out.add(_image_part(found, part))
    prompt = _str(_dict(_dict(part.get("metadata")).get("dalle")).get("prompt"))
    return True, f"Generated image: {prompt}" if prompt else ""


def _piece(part: Any, out: _Builder) -> str | None:
    """A piece of text (None for a description of ours, which is a note)."""
    if isinstance(part, str):
        out.write(part)
        return None
    if not isinstance(part, Mapping):
        return None
    kind = _str(part.get("content_type"))
    if kind == "image_asset_pointer":
        return _image(part, out)[1] or None
    if kind == "audio_transcription":
        out.write(_str(part.get("text")))
        return None
    if kind.endswith("asset_pointer"):  # audio, video and live-camera recordings
        return f"Recording: {kind.removesuffix('_asset_pointer').replace('_', ' ')}"
    text = _str(part.get("text"))
    if text:
        out.write(text)
        return None
    return f"Unsupported part: {kind or 'unknown'}"


def _parts(content: Mapping[str, Any], out: _Builder) -> None:
    parts = content.get("parts")
    for part in parts if isinstance(parts, list) else []:
        description = _piece(part, out)
        if description:
            out.note(description)


def _code(content: Mapping[str, Any], out: _Builder) -> None:
    text = _str(content.get("text"))
    language = _str(content.get("language"))
    if text.strip():
        out.add(TextPart(fenced(text, "" if language in ("", "unknown") else language)))


def _output(content: Mapping[str, Any], out: _Builder) -> None:
    text = _str(content.get("text")) or _str(content.get("result"))
    if text.strip():
        out.add(TextPart(fenced(text)))


def _quote(content: Mapping[str, Any], out: _Builder) -> None:
    text = _str(content.get("text")).strip()
    title = _str(content.get("title")).strip() or _str(content.get("domain")).strip()
    url = _str(content.get("url")).strip()
    lines = [f"> {line}" if line else ">" for line in text.splitlines()]
    if url:
        lines.append(f"> — [{escape(title or url)}](<{url.replace('>', '%3E')}>)")
    elif title:
        lines.append(f"> — {escape(title)}")
    out.add(TextPart("\n".join(lines)))


def _error(content: Mapping[str, Any], out: _Builder) -> None:
    name = _str(content.get("name"))
    text = _str(content.get("text")).strip()
    head = f"> **Error** ({escape(name)})" if name else "> **Error**"
    out.add(TextPart("\n".join([head, *(f"> {ln}" if ln else ">" for ln in text.splitlines())])))


def _nothing(content: Mapping[str, Any], out: _Builder) -> None:
    return None  # custom instructions and memories: see context_text


_SHOWN: dict[str, Callable[[Mapping[str, Any], _Builder], None]] = {
    "text": _parts,
    "multimodal_text": _parts,
    "code": _code,
    "execution_output": _output,
    "tether_browsing_display": _output,
    "tether_quote": _quote,
    "sonic_webpage": _quote,
    "system_error": _error,
    **dict.fromkeys(CONTEXT_TYPES, _nothing),
}


def _unknown_text(kind: str, content: Mapping[str, Any]) -> tuple[str, str]:
    """Content we do not know: its text, or else its JSON (shortened), and the language."""
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
    if text.strip():
        return text, ""
    raw = json.dumps(content, ensure_ascii=False, default=str)
    if len(raw) > _UNKNOWN_JSON_CHARS:
        raw = raw[:_UNKNOWN_JSON_CHARS] + " …"
    return raw, "json"


def _shown(kind: str, content: Mapping[str, Any], out: _Builder) -> str | None:
    """Add what a message shows; the content type if it is one Kibitz does not know."""
    handler = _SHOWN.get(kind)
    if handler is not None:
        handler(content, out)
        return None
    out.note(f"Kept from ChatGPT: content of type “{kind}”")
    text, language = _unknown_text(kind, content)
    out.add(TextPart(fenced(text, language)))
    return kind


# -- reasoning and tools -------------------------------------------------------------------


def _thoughts(content: Mapping[str, Any]) -> str:
    items = content.get("thoughts")
    blocks = []
    for item in items if isinstance(items, list) else []:
        item = _dict(item)
        summary, detail = _str(item.get("summary")).strip(), _str(item.get("content")).strip()
        if summary:
            blocks.append(f"**{escape(summary)}**")
        if detail:
            blocks.append(detail)
    return "\n\n".join(blocks)


def _recap_seconds(content: Mapping[str, Any], metadata: Mapping[str, Any]) -> float | None:
    seconds = metadata.get("finished_duration_sec")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and 0 <= seconds < 1e7:
        return float(seconds)
    match = _RECAP_TIME.search(_str(content.get("content")))  # "Thought for 1m 5s"
    if match is None:
        return None
    return float(int(match.group(1) or 0) * 60 + int(match.group(2)))


def _tool_input(kind: str, content: Mapping[str, Any]) -> str:
    """A call's arguments as a JSON string: the input itself when it is a JSON object
    (web.run, dalle and canvas calls send one), else the code or text under one key."""
    if kind == "code":
        text, key = _str(content.get("text")), "code"
    else:
        parts = content.get("parts")
        pieces = parts if isinstance(parts, list) else [content.get("text")]
        text, key = "\n".join(p for p in pieces if isinstance(p, str)), "text"
    if text.lstrip().startswith("{"):  # code rarely is: spare it a failing parse
        try:
            if isinstance(json.loads(text), dict):
                return text.strip()
        except ValueError:
            pass
    return json.dumps({key: text}, ensure_ascii=False) if text else "{}"


def _said(added: bool, text: str) -> str:
    """What a tool result says of an image: a missing one's description in brackets."""
    return text if added or not text else f"[{text}]"


def _tool_output(kind: str, content: Mapping[str, Any], metadata: Mapping[str, Any],
                 files: ExportFiles) -> NodeContent:  # fmt: skip
    """A tool's answer: a result (plain text, and notes for what is not kept), then the
    images it made when the export holds them."""
    out = _Builder(files, metadata)
    texts: list[str] = []
    status, unknown = ToolStatus.OK, None
    if kind in ("text", "multimodal_text"):
        parts = content.get("parts")
        for part in parts if isinstance(parts, list) else []:
            if isinstance(part, Mapping) and part.get("content_type") == "image_asset_pointer":
                texts.append(_said(*_image(part, out)))
            elif isinstance(part, str | Mapping):
                texts.append(part if isinstance(part, str) else _str(part.get("text")))
    elif kind in ("execution_output", "tether_browsing_display"):
        texts.append(_str(content.get("text")) or _str(content.get("result")))
        run = _dict(metadata.get("aggregate_result")).get("status")
        status = ToolStatus.OK if run in _RUN_OK else ToolStatus.ERROR
    elif kind in ("tether_quote", "sonic_webpage"):
        title, url = _str(content.get("title")).strip(), _str(content.get("url")).strip()
        source = " ".join(s for s in (title, f"<{url}>" if url else "") if s)
        texts += [_str(content.get("text")).strip(), f"— {source}" if source else ""]
    elif kind == "system_error":
        name, text = _str(content.get("name")), _str(content.get("text")).strip()
        texts.append(f"{name}: {text}" if name else text)
        status = ToolStatus.ERROR
    elif kind == "computer_output":
        screenshot = _dict(content.get("screenshot"))
        state = _dict(content.get("state"))
        texts.append(" ".join(s for s in (_str(state.get("title")), _str(state.get("url"))) if s))
        if screenshot:
            texts.append(_said(*_image(screenshot, out)))
    else:
        text, _ = _unknown_text(kind, content)
        texts += [f"[Kept from ChatGPT: content of type “{kind}”]", text]
        unknown = kind
    result = ToolResultPart("", "\n\n".join(t for t in texts if t.strip()),
                            status is ToolStatus.ERROR, status)  # fmt: skip
    images = out.finish()
    return NodeContent((result, *images), unknown=unknown)


def node_content(message: Mapping[str, Any], files: ExportFiles) -> NodeContent:
    """What the message adds to its turn: text, reasoning, a tool call or result, files."""
    content = _dict(message.get("content"))
    metadata = _dict(message.get("metadata"))
    role = _str(_dict(message.get("author")).get("role"))
    kind = _str(content.get("content_type")) or "text"
    recipient = _str(message.get("recipient"))
    if role == "tool":
        return _tool_output(kind, content, metadata, files)
    if role == "assistant":
        if recipient not in ("", "all"):
            call = ToolCallPart("", recipient, _tool_input(kind, content))
            return NodeContent((call,))
        if kind == "thoughts":
            thought = _thoughts(content)
            return NodeContent((ReasoningPart(thought),) if thought else ())
        if kind == "reasoning_recap":
            return NodeContent(seconds=_recap_seconds(content, metadata))
        if message.get("channel") == "analysis" and kind == "text":
            out = _Builder(files, {})
            _parts(content, out)
            text = "\n\n".join(p.text for p in out.finish() if isinstance(p, TextPart))
            return NodeContent((ReasoningPart(text),) if text.strip() else ())
    out = _Builder(files, metadata)
    if role not in ("user", "assistant", "system"):
        out.note(f"From {role or 'an unknown author'}")
    unknown = _shown(kind, content, out)
    parts = out.finish()
    if role not in ("user", "assistant", "system") and len(parts) == 1:
        parts = ()  # only the "From …" note: nothing was said
    return NodeContent(parts, unknown=unknown)


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
