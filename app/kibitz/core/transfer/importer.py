"""Importing a file: tell the format, read every conversation, then store them all or none.

Reading (and every check) happens before the store is touched, so a bad file changes
nothing; the conversations are then written in one transaction, skipping any the store
already holds (same uid: a Kibitz uid, or `chatgpt:` and ChatGPT's conversation id).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kibitz.core.errors import StoreError
from kibitz.core.store import ImportedConversation, Store
from kibitz.core.transfer import chatgpt_import, kibitz_import
from kibitz.core.transfer.errors import ImportFileError, conversation_label
from kibitz.core.transfer.json_source import JsonText, iter_array, load_document, read_texts
from kibitz.core.types import ConversationId
from kibitz.core.words import count_of

log = logging.getLogger(__name__)

SourceKind = Literal["chatgpt", "kibitz"]
SOURCE_NAMES: dict[SourceKind, str] = {"chatgpt": "ChatGPT export", "kibitz": "Kibitz export"}


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """Where an import stands: reading counts characters, saving counts conversations."""

    phase: Literal["reading", "saving"]
    done: int
    total: int
    conversations: int  # read so far

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


ProgressCallback = Callable[[ImportProgress], None]


@dataclass
class ParsedExport:
    """Everything a file holds, checked and converted, not yet stored."""

    kind: SourceKind
    conversations: list[ImportedConversation] = field(default_factory=list)
    unknown_types: list[str] = field(default_factory=list)  # ChatGPT content kept as notes


@dataclass(frozen=True, slots=True)
class ImportReport:
    path: Path
    kind: SourceKind
    imported: tuple[ConversationId, ...]
    skipped: tuple[str, ...]  # titles of conversations already in the store
    unknown_types: tuple[str, ...]  # distinct ChatGPT content types kept as notes

    def summary(self) -> str:
        """ "Imported 3 conversations from export.zip (ChatGPT export); skipped 1 already
        imported"."""
        text = (
            f"Imported {count_of(len(self.imported), 'conversation')} from {self.path.name}"
            f" ({SOURCE_NAMES[self.kind]})"
        )
        if self.skipped:
            text += f"; skipped {len(self.skipped)} already imported"
        return text


class _Reader:
    def __init__(self, total: int, progress: ProgressCallback | None) -> None:
        self.total = max(total, 1)
        self.base = 0
        self.count = 0
        self.progress = progress

    def tell(self, chars_in_text: int) -> None:
        if self.progress is not None:
            done = self.base + chars_in_text
            self.progress(ImportProgress("reading", done, self.total, self.count))


def _read_chatgpt(texts: list[JsonText], reader: _Reader, now: float) -> ParsedExport:
    parsed = ParsedExport("chatgpt")
    for text in texts:
        if text.first_char() != "[":
            raise ImportFileError(text.name, "expected a list of ChatGPT conversations")
        for index, data in iter_array(text, reader.tell):
            if index == 0 and not (isinstance(data, dict) and "mapping" in data):
                raise ImportFileError(
                    text.name, "this JSON list is not a ChatGPT export (no message tree)"
                )
            where = f"{text.name}: {conversation_label(index, data)}"
            converted = chatgpt_import.convert_conversation(data, where, now)
            parsed.conversations.append(converted.conversation)
            parsed.unknown_types.extend(converted.unknown_types)
            reader.count += 1
        reader.base += len(text.text)
    return parsed


def _read_kibitz(text: JsonText, document: dict[str, object], reader: _Reader) -> ParsedExport:
    kibitz_import.check_version(document, text.name)
    items = document.get("conversations")
    if not isinstance(items, list):
        raise ImportFileError(text.name, "the Kibitz export has no list of conversations")
    parsed = ParsedExport("kibitz")
    for index, data in enumerate(items):
        parsed.conversations.append(kibitz_import.convert_conversation(data, index, text.name))
        reader.count += 1
        reader.tell(len(text.text) * (index + 1) // len(items))
    return parsed


def read_export(
    path: Path, *, progress: ProgressCallback | None = None, now: float | None = None
) -> ParsedExport:
    """Read and check every conversation in `path`; nothing is stored.

    Raises ImportFileError (what is wrong and where) or OSError (cannot read the file).
    """
    texts = read_texts(path)
    reader = _Reader(sum(len(t.text) for t in texts), progress)
    now = time.time() if now is None else now
    first = texts[0]
    if first.first_char() == "[":
        return _read_chatgpt(texts, reader, now)
    if first.first_char() != "{" or len(texts) > 1:
        raise ImportFileError(first.name, "this is not JSON: not a ChatGPT or Kibitz export")
    document = load_document(first)
    if kibitz_import.is_kibitz_document(document):
        return _read_kibitz(first, document, reader)
    if isinstance(document, dict) and "mapping" in document:
        # One ChatGPT conversation on its own, as some browser extensions save them.
        converted = chatgpt_import.convert_conversation(document, first.name, now)
        reader.count = 1
        return ParsedExport("chatgpt", [converted.conversation], converted.unknown_types)
    raise ImportFileError(first.name, "this JSON is neither a ChatGPT export nor a Kibitz export")


def import_file(
    store: Store, path: Path, *, progress: ProgressCallback | None = None
) -> ImportReport:
    """Import `path` into `store`: all of it or, on any error, none of it."""
    parsed = read_export(path, progress=progress)
    total = len(parsed.conversations)

    def saving(done: int, _total: int) -> None:
        if progress is not None:
            progress(ImportProgress("saving", done, total, total))

    try:
        outcome = store.import_conversations(parsed.conversations, progress=saving)
    except ValueError as e:  # a converter bug, not the user's file: say so plainly
        raise StoreError(str(e), headline="The import could not be stored") from e
    titles = {c.uid: c.title for c in parsed.conversations}
    report = ImportReport(
        path=path,
        kind=parsed.kind,
        imported=outcome.created,
        skipped=tuple(titles[uid] for uid in outcome.skipped_uids),
        unknown_types=tuple(dict.fromkeys(parsed.unknown_types)),
    )
    log.info(
        "imported %d conversation(s) from %s (%s), skipped %d",
        len(report.imported), path, parsed.kind, len(report.skipped),
    )  # fmt: skip
    return report
