"""Exporting from the store: Markdown files into a folder, or one JSON file."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

from kibitz.core.errors import NotFoundError
from kibitz.core.store import Store
from kibitz.core.transfer.errors import ExportWriteError
from kibitz.core.transfer.filenames import export_filename
from kibitz.core.transfer.json_export import write_json
from kibitz.core.transfer.markdown_export import conversation_to_markdown
from kibitz.core.transfer.markdown_files import ConversationFiles
from kibitz.core.types import Conversation, ConversationId, Message
from kibitz.core.words import count_of

log = logging.getLogger(__name__)

# done, total: after each conversation written
ExportProgress = Callable[[int, int], None]


def chosen_conversations(store: Store, ids: Sequence[ConversationId] | None) -> list[Conversation]:
    """The conversations named (deleted ones too, when named), or every live one.

    NotFoundError names the first id that does not exist, before anything is written.
    """
    if ids is None:
        return store.list_conversations()
    found = store.get_conversations(ids)
    missing = set(ids) - {c.id for c in found}
    if missing:
        first = next(i for i in ids if i in missing)
        raise NotFoundError(f"conversation {first}")
    return found


def json_export_path(folder: Path, day: date | None = None) -> Path:
    """`kibitz-export-YYYY-MM-DD.json` in `folder`, numbered when that name is taken."""
    stem = f"kibitz-export-{(day or date.today()).isoformat()}"
    path = folder / f"{stem}.json"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}.json"
        n += 1
    return path


def _write_error(path: Path, error: OSError) -> ExportWriteError:
    reason = error.strerror or str(error)
    return ExportWriteError(f"{path}: {reason}")


def _missing_file(conversation: Conversation, error: NotFoundError) -> ExportWriteError:
    title = " ".join(conversation.title.split())[:60] or "Untitled"
    return ExportWriteError(
        f"conversation {conversation.id} (“{title}”): {error.detail}",
        headline="A stored file is missing",
        hint="The export stopped: the database no longer holds this image or file. Export "
        "the other conversations by id, and report this with the log file.",
    )


def export_markdown(
    store: Store,
    conversations: Sequence[Conversation],
    folder: Path,
    *,
    all_branches: bool = False,
    progress: ExportProgress | None = None,
) -> list[Path]:
    """One `YYYY-MM-DD title (uid8).md` per conversation in `folder` (made if missing), and
    beside it a folder of the same name holding its images and files, which it links.

    A file of the same name is replaced: exporting again updates the earlier export, also
    after a rename (the file and folder under the old title are renamed). The paths returned
    are the .md files'.
    """
    if folder.exists() and not folder.is_dir():
        raise ExportWriteError(
            f"{folder} is a file",
            hint="Markdown export writes one file per conversation: choose a folder.",
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _write_error(folder, e) from e
    taken: set[str] = set()
    written: list[Path] = []
    for done, conversation in enumerate(conversations, start=1):
        messages = store.all_messages(conversation.id) if all_branches else None
        if messages is None:
            messages = store.branch(conversation.id) if conversation.current_leaf_id else []
        path = folder / export_filename(conversation, ".md", taken)
        try:
            _replace_earlier_export(folder, path, conversation, taken)
        except OSError as e:
            raise _write_error(Path(e.filename) if e.filename else path, e) from e
        files = ConversationFiles(folder, path.stem)
        text = conversation_to_markdown(
            conversation, messages, all_branches=all_branches, link=files.link
        )
        try:
            files.write(store.blob)
        except NotFoundError as e:
            raise _missing_file(conversation, e) from e
        except OSError as e:
            raise _write_error(Path(e.filename) if e.filename else files.folder, e) from e
        try:
            # newline="\n": the same bytes on every OS, so exports compare and sync cleanly.
            with path.open("w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        except OSError as e:
            raise _write_error(path, e) from e
        written.append(path)
        if progress is not None:
            progress(done, len(conversations))
    log.info("exported %s as Markdown to %s", count_of(len(written), "conversation"), folder)
    return written


def _replace_earlier_export(
    folder: Path, path: Path, conversation: Conversation, taken: set[str]
) -> None:
    """Rename an earlier export of this conversation under another title (the same day and
    uid tag, its id in the front matter) and its files' folder to `path`'s names, so that
    exporting after a rename updates the files instead of leaving the old ones beside them."""
    day, tag = path.name[:10], path.name[path.name.rfind(" (") :]
    for old in sorted(folder.iterdir()):
        name = old.name
        if name == path.name or name.lower() in taken or not old.is_file():
            continue
        if not (name.startswith(day) and name.endswith(tag)):
            continue
        if not _exported_from(old, conversation):
            continue
        os.replace(old, path)
        old_files, files = folder / old.stem, folder / path.stem
        if old_files.is_dir():
            if files.exists():
                shutil.rmtree(old_files)
            else:
                old_files.rename(files)
        log.info("renamed the earlier export %s to %s", name, path.name)


def _exported_from(path: Path, conversation: Conversation) -> bool:
    """Whether the Markdown file's front matter names the conversation's uid."""
    with path.open(encoding="utf-8", errors="replace") as f:
        head = f.read(4096)
    front = head.split("\n---", 1)[0]
    return any(line.startswith("id:") and conversation.uid in line for line in front.splitlines())


def _with_messages(
    store: Store, conversations: Sequence[Conversation], progress: ExportProgress | None
) -> Iterator[tuple[Conversation, list[Message]]]:
    for done, conversation in enumerate(conversations, start=1):
        yield conversation, store.all_messages(conversation.id)
        if progress is not None:
            progress(done, len(conversations))


def export_json_file(
    store: Store,
    conversations: Sequence[Conversation],
    target: Path,
    *,
    progress: ExportProgress | None = None,
) -> Path:
    """The lossless JSON export of `conversations` in `target`, replaced only when complete."""
    if target.is_dir():
        raise ExportWriteError(
            f"{target} is a folder", hint="JSON export writes one file: give a file name."
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as e:
        raise _write_error(target, e) from e
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            write_json(f, _with_messages(store, conversations, progress), store.blob)
        os.replace(temp, target)
    except OSError as e:
        Path(temp).unlink(missing_ok=True)
        raise _write_error(target, e) from e
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    log.info("exported %s as JSON to %s", count_of(len(conversations), "conversation"), target)
    return target


def write_json_stream(store: Store, conversations: Sequence[Conversation], out: TextIO) -> int:
    """The JSON export written to an open text stream (the CLI's stdout)."""
    return write_json(out, _with_messages(store, conversations, None), store.blob)
