"""Builds ChatGPT "Export data" files (conversations.json, the .zip) for tests and benchmarks.

Written by hand from public descriptions of the format, read but not copied:
- mitkury/chatgpt-export-parser, docs/chatgpt-data-export-format.md (the archive, the
  conversation fields, the mapping tree, custom-instruction system messages, branches);
- the "ChatGPT conversations.json Format — Field Reference" page (whychose.com) and other
  published schema notes (content types and their fields, author roles, `recipient`);
- convoviz PR #49 and ChatGPT_Conversations_To_Markdown PR #23 (newer exports split the
  conversations over conversations-000.json, -001, ... next to export_manifest.json);
- real exports quoted in public repositories: the `client-created-root` node, hidden empty
  system nodes with weight 0, `user_editable_context` with `user_context_message_data`,
  `finish_details` {"type": "stop", "stop_tokens": [...]}, `multimodal_text` parts with
  `image_asset_pointer` and `metadata.attachments`, `execution_output` from the tool named
  "python" with `aggregate_result`, `reasoning_recap` with a `content` string, `thoughts`
  with a list of `summary`/`content`, `create_time` null on context nodes;
- the files beside conversations.json: uploads named `file-<id>-<original name>` (older
  exports) or `file_<id>-<name>` (pointed at by `sediment://file_<id>`), generated images in
  `dalle-generations/`, some images kept as `.dat`.

A conversation given a file's bytes (`data=`) records it in `files`, by its path in the
archive; pass them to write_export_zip or write_export_folder.
"""

from __future__ import annotations

import io
import json
import random
import uuid
import zipfile
from pathlib import Path
from typing import Any

ROOT = "client-created-root"


def image_bytes(width: int = 64, height: int = 48, color: str = "red", kind: str = "PNG") -> bytes:
    """A real image file (PNG, JPEG, WEBP, GIF: Pillow's format names), decodable by anyone."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, kind)
    return out.getvalue()


def pdf_bytes(color: str = "white") -> bytes:
    """A real one-page PDF (Pillow writes it: a page holding an image)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 160), color).save(out, "PDF")
    return out.getvalue()


def _pointer(file_id: str) -> str:
    # Uploads since 2025 are `file_…` behind sediment://; older ones `file-…` behind file-service.
    return f"sediment://{file_id}" if file_id.startswith("file_") else f"file-service://{file_id}"


class ChatGPTConversation:
    """One conversation of an export, built node by node; new nodes hang from the last one."""

    def __init__(
        self,
        title: str | None,
        create_time: float = 1_718_000_000.0,
        *,
        conversation_id: str | None = None,
        model: str = "gpt-4o",
    ) -> None:
        self.id = conversation_id or str(uuid.uuid4())
        self.title = title
        self.create_time = create_time
        self.clock = create_time
        self.model = model
        self.mapping: dict[str, dict[str, Any]] = {
            ROOT: {"id": ROOT, "message": None, "parent": None, "children": []}
        }
        self.last = ROOT
        self.current: str | None = None
        self.files: dict[str, bytes] = {}  # what the archive holds for it, by path

    # -- nodes --------------------------------------------------------------------------------

    def node(
        self,
        role: str,
        content: dict[str, Any],
        *,
        parent: str | None = None,
        name: str | None = None,
        metadata: dict[str, Any] | None = None,
        recipient: str = "all",
        status: str = "finished_successfully",
        create_time: float | bool | None = True,
        weight: float = 1.0,
        channel: str | None = None,
    ) -> str:
        """Add a node under `parent` (default: the last one added); return its id."""
        parent = self.last if parent is None else parent
        node_id = str(uuid.uuid4())
        if create_time is True:
            self.clock += 7.5
            when: float | None = self.clock
        else:
            when = None if create_time is False or create_time is None else float(create_time)
        self.mapping[node_id] = {
            "id": node_id,
            "message": {
                "id": node_id,
                "author": {"role": role, "name": name, "metadata": {}},
                "create_time": when,
                "update_time": None,
                "content": content,
                "status": status,
                "end_turn": role == "assistant" or None,
                "weight": weight,
                "metadata": metadata or {},
                "recipient": recipient,
                "channel": channel,
            },
            "parent": parent,
            "children": [],
        }
        self.mapping[parent]["children"].append(node_id)
        self.last = node_id
        return node_id

    def hidden_system(self, text: str = "") -> str:
        return self.node(
            "system",
            {"content_type": "text", "parts": [text]},
            metadata={"is_visually_hidden_from_conversation": True},
            create_time=False,
            weight=0.0,
        )

    def custom_instructions(self, about_user: str, about_model: str) -> str:
        return self.node(
            "user",
            {
                "content_type": "user_editable_context",
                "user_profile": f"The user provided the following information:\n{about_user}",
                "user_instructions": f"The user wants you to respond like this:\n{about_model}",
            },
            metadata={
                "is_visually_hidden_from_conversation": True,
                "user_context_message_data": {
                    "about_user_message": about_user,
                    "about_model_message": about_model,
                },
                "is_user_system_message": True,
            },
            create_time=False,
        )

    def user(self, text: str, *, parent: str | None = None, **kw: Any) -> str:
        return self.node("user", {"content_type": "text", "parts": [text]}, parent=parent, **kw)

    def assistant(
        self,
        text: str,
        *,
        parent: str | None = None,
        finish: str | None = "stop",
        model: str | None = None,
        **kw: Any,
    ) -> str:
        metadata: dict[str, Any] = {"model_slug": model or self.model, "default_model_slug": "auto"}
        if finish is not None:
            metadata["finish_details"] = {"type": finish, "stop_tokens": [200002]}
        metadata.update(kw.pop("metadata", {}))
        return self.node(
            "assistant",
            {"content_type": "text", "parts": [text]},
            parent=parent,
            metadata=metadata,
            **kw,
        )

    def image_question(
        self,
        text: str,
        file_name: str,
        *,
        width: int = 602,
        height: int = 149,
        file_id: str | None = None,
        data: bytes | None = None,
        mime_type: str = "image/png",
        stored_as: str | None = None,
        text_first: bool = False,
    ) -> str:
        """A question with an uploaded image; with `data`, the archive holds it under
        `stored_as` (default `<file id>-<file name>`)."""
        file_id = file_id or f"file_{uuid.uuid4().hex[:24]}"
        size = 10556 if data is None else len(data)
        if data is not None:
            self.files[stored_as or f"{file_id}-{file_name}"] = data
        pointer = {
            "content_type": "image_asset_pointer",
            "asset_pointer": _pointer(file_id),
            "size_bytes": size,
            "width": width,
            "height": height,
            "fovea": None,
            "metadata": {"dalle": None, "sanitized": True},
        }
        return self.node(
            "user",
            {
                "content_type": "multimodal_text",
                "parts": [text, pointer] if text_first else [pointer, text],
            },
            metadata={
                "attachments": [
                    {
                        "id": file_id,
                        "size": size,
                        "name": file_name,
                        "mime_type": mime_type,
                        "width": width,
                        "height": height,
                        "source": "local",
                    }
                ]
            },
        )

    def file_question(
        self,
        text: str,
        file_name: str,
        mime_type: str,
        size: int = 0,
        *,
        file_id: str,
        data: bytes | None = None,
    ) -> str:
        """A question with an uploaded document: named in `metadata.attachments` only; with
        `data`, the archive holds it as `<file id>-<file name>`."""
        if data is not None:
            self.files[f"{file_id}-{file_name}"] = data
            size = len(data)
        attachment = {"id": file_id, "name": file_name, "mime_type": mime_type, "size": size}
        return self.user(text, metadata={"attachments": [attachment]})

    def code_call(
        self,
        code: str,
        *,
        recipient: str = "python",
        language: str = "python",
        channel: str | None = None,
    ) -> str:
        return self.node(
            "assistant",
            {"content_type": "code", "language": language, "text": code},
            recipient=recipient,
            metadata={"model_slug": self.model},
            channel=channel,
        )

    def json_call(self, recipient: str, arguments: dict[str, Any]) -> str:
        """A call whose input is a JSON object, as web.run, dalle and container tools get."""
        return self.code_call(
            json.dumps(arguments), recipient=recipient, language="unknown", channel="commentary"
        )

    def tool_output(self, text: str, *, name: str = "python", status: str = "success") -> str:
        return self.node(
            "tool",
            {"content_type": "execution_output", "text": text},
            name=name,
            metadata={"aggregate_result": {"status": status, "code": "", "messages": []}},
        )

    def tool_text(self, text: str, *, name: str) -> str:
        """A tool's answer as plain text (container.exec, canmore, web.run)."""
        return self.node("tool", {"content_type": "text", "parts": [text]}, name=name)

    def generated_image(
        self,
        prompt: str,
        *,
        file_id: str,
        name: str = "dalle.text2im",
        data: bytes | None = None,
        stored_as: str | None = None,
    ) -> str:
        """An image the tool made; with `data`, the archive holds it in dalle-generations/
        (default `<file id>-<uuid>.webp`)."""
        if data is not None:
            path = stored_as or f"dalle-generations/{file_id}-{uuid.uuid4()}.webp"
            self.files[path] = data
        return self.node(
            "tool",
            {
                "content_type": "multimodal_text",
                "parts": [
                    {
                        "content_type": "image_asset_pointer",
                        "asset_pointer": _pointer(file_id),
                        "width": 1024,
                        "height": 1024,
                        "metadata": {"dalle": {"prompt": prompt}},
                    }
                ],
            },
            name=name,
        )

    def thoughts(self, *items: tuple[str, str], model: str | None = None) -> str:
        """A reasoning model's thoughts: (summary, content) pairs."""
        return self.node(
            "assistant",
            {
                "content_type": "thoughts",
                "thoughts": [
                    {"summary": summary, "content": text, "chunks": [], "finished": True}
                    for summary, text in items
                ],
                "source_analysis_msg_id": str(uuid.uuid4()),
            },
            metadata={"model_slug": model or self.model, "reasoning_status": "is_reasoning"},
        )

    def reasoning_recap(self, seconds: int, *, model: str | None = None) -> str:
        return self.node(
            "assistant",
            {"content_type": "reasoning_recap", "content": f"Thought for {seconds}s"},
            metadata={
                "model_slug": model or self.model,
                "finished_duration_sec": seconds,
                "reasoning_status": "reasoning_ended",
            },
        )

    def content(self, role: str, content: dict[str, Any], **kw: Any) -> str:
        return self.node(role, content, **kw)

    # -- the conversation object --------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        times = [
            n["message"]["create_time"]
            for n in self.mapping.values()
            if n["message"] and n["message"]["create_time"]
        ]
        return {
            "title": self.title,
            "create_time": self.create_time,
            "update_time": max(times, default=self.create_time),
            "mapping": self.mapping,
            "moderation_results": [],
            "current_node": self.current or self.last,
            "plugin_ids": None,
            "conversation_id": self.id,
            "conversation_template_id": None,
            "gizmo_id": None,
            "is_archived": False,
            "safe_urls": [],
            "default_model_slug": "auto",
            "id": self.id,
        }


def write_conversations_json(path: Path, conversations: list[dict[str, Any]]) -> Path:
    # ChatGPT writes the whole array on one line, with non-ASCII text escaped.
    path.write_text(json.dumps(conversations), encoding="utf-8")
    return path


def archive_files(*chats: ChatGPTConversation) -> dict[str, bytes]:
    """Every file the conversations were given, by its path in the archive."""
    return {name: data for chat in chats for name, data in chat.files.items()}


def write_export_folder(
    folder: Path, conversations: list[dict[str, Any]], files: dict[str, bytes] | None = None
) -> Path:
    """An export as the user unpacked it: conversations.json and the files beside it."""
    for name, data in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    folder.mkdir(parents=True, exist_ok=True)
    write_conversations_json(folder / "conversations.json", conversations)
    return folder


def write_export_zip(
    path: Path,
    conversations: list[dict[str, Any]],
    *,
    shards: int = 0,
    files: dict[str, bytes] | None = None,
) -> Path:
    """The archive "Export data" sends: conversations.json (or `shards` numbered files)
    next to the other files of an export; `files` by their path in the archive
    (`file_…-photo.png`)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in (files or {}).items():
            archive.writestr(name, data)
        if shards:
            size = -(-len(conversations) // shards)
            for n in range(shards):
                part = conversations[n * size : (n + 1) * size]
                archive.writestr(f"conversations-{n:03d}.json", json.dumps(part))
            archive.writestr("export_manifest.json", json.dumps({"files": []}))
        else:
            archive.writestr("conversations.json", json.dumps(conversations))
            archive.writestr("chat.html", "<html><body>ChatGPT</body></html>")
        archive.writestr("user.json", json.dumps({"id": "user-test", "email": "u@example.com"}))
        archive.writestr("message_feedback.json", "[]")
    return path


_TEXT = (
    "the a to of and in is it you that for on with as this how why what can should would"
    " python function error database query table index server request response token model"
    " stream config install package module import class method string list async await file"
    " path json sqlite docker linux memory cache timeout retry test build deploy café naïve"
)
_WORDS = _TEXT.split(" ")


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


def _paragraphs(rng: random.Random, count: int) -> str:
    return "\n\n".join(
        " ".join(_sentence(rng, rng.randint(6, 18)) for _ in range(rng.randint(2, 5)))
        for _ in range(count)
    )


def generated_export(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` conversations of realistic size: 10-40 turns, code blocks, tool runs, some
    edited questions and regenerated replies (branches), hidden context nodes."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        chat = ChatGPTConversation(
            f"Question {n}: {_sentence(rng, 4)[:-1]}",
            1_700_000_000.0 + n * 3600,
            conversation_id=str(uuid.UUID(int=rng.getrandbits(128))),
        )
        chat.hidden_system()
        if n % 3 == 0:
            chat.custom_instructions("I write Python.", "Be brief.")
        turns = rng.randint(5, 20)  # a turn is a question and a reply: 10-40 messages
        for t in range(turns):
            question = chat.user(_paragraphs(rng, rng.randint(1, 2)))
            if rng.random() < 0.15:  # a tool run inside the reply
                chat.code_call("import math\nprint(math.pi)")
                chat.tool_output("3.141592653589793")
            reply = _paragraphs(rng, rng.randint(1, 4))
            if rng.random() < 0.4:
                reply += f"\n\n```python\ndef f{t}(x):\n    return x * {t}\n```\n"
            answer = chat.assistant(reply)
            if rng.random() < 0.08:  # regenerated: a sibling reply, the old one kept
                chat.assistant(_paragraphs(rng, 1), parent=question)
            elif rng.random() < 0.05:  # an edited question on the old branch's parent
                chat.user(_paragraphs(rng, 1), parent=chat.mapping[question]["parent"])
                chat.assistant(_paragraphs(rng, 1))
            else:
                chat.last = answer
        out.append(chat.to_json())
    return out
