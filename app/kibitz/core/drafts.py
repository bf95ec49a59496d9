"""Unsent drafts: what the composer holds (text, attachments) per conversation, kept on disk.

One folder per draft under `<data_dir>/drafts/`: `draft.json` (the text and each attachment's
name, kind and extracted text) and the attachments' bytes, one file each, named by their
SHA-256. The bytes are written first and the manifest last, by an atomic rename, so a crash
at any moment leaves the old draft or the new one whole, never a manifest naming a file that
is not there. A draft is rewritten on every change the composer makes, but a file already
there is never written again: typing beside a 5 MB photo rewrites only the small manifest.

Attachments come back as `Attachment`s read from the draft's own copies, also when they were
the stored parts of a message being edited: a draft does not depend on blobs that a purge of
the conversation may have deleted meanwhile.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kibitz.core.attachments import Attachment, AttachmentKind
from kibitz.core.files import write_atomically
from kibitz.core.types import ConversationId, FilePart, ImagePart, MessageId

log = logging.getLogger(__name__)

NEW_CHAT = "new"  # the key of the composer of a conversation not started yet
MANIFEST = "draft.json"
_FORMAT = 1

DraftItem = Attachment | ImagePart | FilePart
BlobLoader = Callable[[str], bytes]


def conversation_key(conversation_id: ConversationId | None) -> str:
    """The key a conversation's draft is kept under (NEW_CHAT for None)."""
    return NEW_CHAT if conversation_id is None else f"conversation-{int(conversation_id)}"


@dataclass(frozen=True, slots=True)
class Draft:
    text: str = ""
    attachments: tuple[DraftItem, ...] = ()
    editing: MessageId | None = None  # the user message being edited and resent, if any

    @property
    def empty(self) -> bool:
        return not self.text.strip() and not self.attachments


class DraftStore:
    """Drafts on disk, one per key; thread-safe (the UI saves from its worker thread and, on
    closing, from its own)."""

    def __init__(self, folder: Path, load_blob: BlobLoader | None = None) -> None:
        self.folder = folder
        self._load_blob = load_blob  # the bytes of a stored part (an edited message's file)
        self._lock = threading.Lock()

    def load(self, key: str) -> Draft:
        """The draft kept under `key`; an empty one when there is none or it cannot be read
        (then logged and left where it is, for a later Kibitz or a curious user)."""
        folder = self._folder(key)
        with self._lock:
            try:
                manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
                return _from_manifest(manifest, folder)
            except FileNotFoundError:
                return Draft()
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("draft %s could not be read: %s", key, exc)
                return Draft()

    def save(self, key: str, draft: Draft) -> None:
        """Keep `draft` under `key` (an empty draft discards it). Raises OSError when the disk
        refuses; the previous draft is then still whole."""
        if draft.empty:
            self.discard(key)
            return
        folder = self._folder(key)
        with self._lock:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            entries = [self._write_item(folder, item) for item in draft.attachments]
            manifest = {
                "format": _FORMAT,
                "text": draft.text,
                "editing": None if draft.editing is None else int(draft.editing),
                "attachments": entries,
            }
            write_atomically(
                folder / MANIFEST, json.dumps(manifest, ensure_ascii=False).encode(), durable=True
            )
            kept = {MANIFEST, *(entry["file"] for entry in entries)}
            for path in folder.iterdir():
                if path.name not in kept:
                    path.unlink(missing_ok=True)

    def discard(self, key: str) -> None:
        with self._lock:
            shutil.rmtree(self._folder(key), ignore_errors=True)

    def keys(self) -> list[str]:
        """The keys that have a draft on disk."""
        try:
            return sorted(p.parent.name for p in self.folder.glob(f"*/{MANIFEST}"))
        except OSError:
            return []

    def _folder(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise ValueError(f"not a draft key: {key!r}")
        return self.folder / key

    def _write_item(self, folder: Path, item: DraftItem) -> dict[str, Any]:
        if isinstance(item, Attachment):
            import hashlib  # here: ~2 ms at start-up, for a draft that has an attachment

            digest = hashlib.sha256(item.data).hexdigest()
            if not (folder / digest).exists():
                write_atomically(folder / digest, item.data, durable=True)
            return _entry(item.name, item.mime_type, item.kind, digest, item.size, item)
        digest = item.blob  # the store names blobs by their SHA-256 too
        if not (folder / digest).exists():
            if self._load_blob is None:
                raise ValueError("a stored part in a draft needs the store's blobs")
            write_atomically(folder / digest, self._load_blob(digest), durable=True)
        kind = AttachmentKind.IMAGE if isinstance(item, ImagePart) else AttachmentKind.FILE
        return _entry(item.name, item.mime_type, kind, digest, item.size, item)


def _entry(
    name: str,
    mime_type: str,
    kind: AttachmentKind,
    digest: str,
    size: int,
    item: DraftItem,
) -> dict[str, Any]:
    width = getattr(item, "width", None)
    height = getattr(item, "height", None)
    return {
        "name": name,
        "mime_type": mime_type,
        "kind": kind.value,
        "file": digest,
        "size": size,
        "text": getattr(item, "text", None),
        "width": width,
        "height": height,
    }


def _from_manifest(manifest: dict[str, Any], folder: Path) -> Draft:
    if manifest.get("format") != _FORMAT:
        raise ValueError(f"unknown draft format {manifest.get('format')!r}")
    items: list[DraftItem] = []
    for entry in manifest["attachments"]:
        digest = str(entry["file"])
        if "/" in digest or digest.startswith("."):
            raise ValueError(f"bad file name {digest!r}")
        data = (folder / digest).read_bytes()
        items.append(
            Attachment(
                name=str(entry["name"]),
                mime_type=str(entry["mime_type"]),
                data=data,
                kind=AttachmentKind(entry["kind"]),
                text=entry.get("text"),
                width=entry.get("width"),
                height=entry.get("height"),
            )
        )
    editing = manifest.get("editing")
    return Draft(
        text=str(manifest["text"]),
        attachments=tuple(items),
        editing=None if editing is None else MessageId(int(editing)),
    )
