"""Importing a file: tell the format, read every conversation, then store them all or none.

Reading (and every check) happens before the store is touched, so a bad file changes
nothing; the conversations are then written in one transaction, skipping any the store
already holds (same uid: a Kibitz uid, or `chatgpt:` and ChatGPT's conversation id).
The images and documents of a ChatGPT export are read from its zip or folder as they are
stored (see chatgpt_files).
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
from kibitz.core.transfer.chatgpt_files import NO_FILES, ExportFiles, export_files
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
    instructions_left_out: int = 0  # ChatGPT conversations whose custom instructions were not kept
    files: ExportFiles = NO_FILES  # where the conversations' images and files are read from

    def close(self) -> None:
        """Release the export's archive (the conversations' blobs cannot be read after)."""
        self.files.close()


@dataclass(frozen=True, slots=True)
class ImportReport:
    path: Path
    kind: SourceKind
    imported: tuple[ConversationId, ...]
    skipped: tuple[str, ...]  # titles of conversations already in the store
    unknown_types: tuple[str, ...]  # distinct ChatGPT content types kept as notes
    instructions_left_out: int = 0  # conversations whose ChatGPT custom instructions were not kept

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


def _read_chatgpt(
    texts: list[JsonText], reader: _Reader, now: float, files: ExportFiles, keep: bool
) -> ParsedExport:
    parsed = ParsedExport("chatgpt", files=files)
    for text in texts:
        if text.first_char() != "[":
            raise ImportFileError(text.name, "expected a list of ChatGPT conversations")
        for index, data in iter_array(text, reader.tell):
            if index == 0 and not (isinstance(data, dict) and "mapping" in data):
                raise ImportFileError(
                    text.name, "this JSON list is not a ChatGPT export (no message tree)"
                )
            where = f"{text.name}: {conversation_label(index, data)}"
            converted = chatgpt_import.convert_conversation(
                data, where, now, files=files, keep_instructions=keep
            )
            parsed.conversations.append(converted.conversation)
            parsed.unknown_types.extend(converted.unknown_types)
            parsed.instructions_left_out += converted.instructions_left_out
            reader.count += 1
        reader.base += len(text.text)
    return parsed


def _read_one(
    name: str, document: dict[str, object], now: float, files: ExportFiles, keep: bool
) -> ParsedExport:
    converted = chatgpt_import.convert_conversation(
        document, name, now, files=files, keep_instructions=keep
    )
    return ParsedExport(
        "chatgpt",
        [converted.conversation],
        converted.unknown_types,
        int(converted.instructions_left_out),
        files,
    )


def _with_files(path: Path, read: Callable[[ExportFiles], ParsedExport]) -> ParsedExport:
    """`read` with the files of the ChatGPT export at `path`, released if it fails."""
    files = export_files(path)
    try:
        return read(files)
    except BaseException:
        files.close()
        raise


def _read_kibitz(text: JsonText, document: dict[str, object], reader: _Reader) -> ParsedExport:
    version = kibitz_import.check_version(document, text.name)
    items = document.get("conversations")
    if not isinstance(items, list):
        raise ImportFileError(text.name, "the Kibitz export has no list of conversations")
    parsed = ParsedExport("kibitz")
    for index, data in enumerate(items):
        converted = kibitz_import.convert_conversation(data, index, text.name, version)
        parsed.conversations.append(converted)
        reader.count += 1
        reader.tell(len(text.text) * (index + 1) // len(items))
    return parsed


def read_export(
    path: Path,
    *,
    progress: ProgressCallback | None = None,
    now: float | None = None,
    keep_instructions: bool = False,
) -> ParsedExport:
    """Read and check every conversation in `path`; nothing is stored.

    `keep_instructions`: a ChatGPT export's custom instructions become each conversation's
    system prompt (by default they are left out). Raises ImportFileError (what is wrong and
    where) or OSError (cannot read the file). Close the result when done with it.
    """
    texts = read_texts(path)
    reader = _Reader(sum(len(t.text) for t in texts), progress)
    now = time.time() if now is None else now
    keep = keep_instructions
    first = texts[0]
    if first.first_char() == "[":
        return _with_files(path, lambda files: _read_chatgpt(texts, reader, now, files, keep))
    if first.first_char() != "{" or len(texts) > 1:
        raise ImportFileError(first.name, "this is not JSON: not a ChatGPT or Kibitz export")
    document = load_document(first)
    if kibitz_import.is_kibitz_document(document):
        return _read_kibitz(first, document, reader)
    if isinstance(document, dict) and "mapping" in document:
        # One ChatGPT conversation on its own, as some browser extensions save them.
        return _with_files(path, lambda files: _read_one(first.name, document, now, files, keep))
    raise ImportFileError(first.name, "this JSON is neither a ChatGPT export nor a Kibitz export")


def import_file(
    store: Store,
    path: Path,
    *,
    progress: ProgressCallback | None = None,
    keep_instructions: bool = False,
) -> ImportReport:
    """Import `path` into `store`: all of it or, on any error, none of it.

    `keep_instructions`: keep a ChatGPT export's custom instructions as each conversation's
    system prompt (left out by default: they are account settings, not the conversation).
    """
    parsed = read_export(path, progress=progress, keep_instructions=keep_instructions)
    total = len(parsed.conversations)

    def saving(done: int, _total: int) -> None:
        if progress is not None:
            progress(ImportProgress("saving", done, total, total))

    try:
        outcome = store.import_conversations(parsed.conversations, progress=saving)
    except ValueError as e:  # a converter bug, not the user's file: say so plainly
        raise StoreError(str(e), headline="The import could not be stored") from e
    finally:
        parsed.close()
    titles = {c.uid: c.title for c in parsed.conversations}
    report = ImportReport(
        path=path,
        kind=parsed.kind,
        imported=outcome.created,
        skipped=tuple(titles[uid] for uid in outcome.skipped_uids),
        unknown_types=tuple(dict.fromkeys(parsed.unknown_types)),
        instructions_left_out=parsed.instructions_left_out,
    )
    log.info(
        "imported %d conversation(s) from %s (%s), skipped %d",
        len(report.imported), path, parsed.kind, len(report.skipped),
    )  # fmt: skip
    return report
