"""The files of a ChatGPT export, found by file id: uploaded and generated images, documents.

conversations.json names a file only by a pointer (`sediment://file_00000000abc…` or
`file-service://file-AbC1…`, sometimes with `?query`). The "Export data" archive may hold
the file itself, named after its id, at the top or in a folder: `file-AbC1-notes.pdf`,
`file_00000000abc…-photo.png`, `dalle-generations/file-XyZ-<uuid>.webp`, a `.dat` for some
images. Older and partial exports hold none: the importer then keeps a short note instead.

A found file is read once when the conversation is converted (for its SHA-256, which its
part names) and again when it is stored: the bytes are never all held at once, so an export
with gigabytes of images imports in little memory.
"""

from __future__ import annotations

import mimetypes
import os
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from kibitz.core.store import blob_digest
from kibitz.core.transfer.errors import ImportFileError
from kibitz.core.transfer.file_facts import (
    UNKNOWN_TYPE,
    decoded_text,
    image_size,
    is_text_type,
    sniffed_type,
)

# The id at the start of an exported file's name, and a pointer's id (after "://").
_FILE_ID = re.compile(r"file[-_][A-Za-z0-9]+")
_FOLDER_DEPTH = 3  # how deep an extracted export's folders are searched


@dataclass(frozen=True, slots=True)
class FoundFile:
    digest: str  # SHA-256 of the bytes: the key they are stored under
    name: str  # the file's name without the id in front of it
    mime_type: str
    size: int
    sniffed: bool = False  # the type is the bytes' own (a magic number), not a name's guess
    width: int | None = None  # an image's, from its header
    height: int | None = None
    text: str | None = None  # a text file's contents


def file_id(pointer: str) -> str | None:
    """The id a pointer or an attachment names (`file-…` or `file_…`), if any."""
    tail = pointer.split("://", 1)[-1].split("?", 1)[0].strip()
    return tail if _FILE_ID.fullmatch(tail) else None


def _own_name(member: str, ident: str) -> str:
    """`file-AbC1-notes.pdf` -> `notes.pdf`; a bare `file-AbC1.png` keeps its name."""
    base = member.rsplit("/", 1)[-1]
    rest = base[len(ident) :]
    return rest[1:] if rest.startswith("-") and len(rest) > 1 else base


class ExportFiles:
    """The files beside one export's conversations.json; nothing is opened before asked.

    Subclasses list their files (`_names`) and read one (`_read`). `close()` releases what
    was opened (the import calls it when done).
    """

    def __init__(self, label: str) -> None:
        self.label = label  # how errors name the export: "export.zip"
        self._index: dict[str, str] | None = None  # file id -> the file's path in the export
        self._found: dict[str, FoundFile | None] = {}
        self._by_digest: dict[str, str] = {}  # digest -> the file's path, to read it again

    def _names(self) -> Iterator[str]:
        return iter(())

    def _read(self, name: str) -> bytes:
        raise KeyError(name)

    def close(self) -> None:
        """Release the archive, if one was opened; later reads open it again."""

    def _lookup(self, ident: str) -> str | None:
        if self._index is None:
            index: dict[str, str] = {}
            for name in self._names():
                match = _FILE_ID.match(name.rsplit("/", 1)[-1])
                if match is not None:
                    # The shallowest copy wins, as for conversations.json itself.
                    known = index.get(match.group())
                    if known is None or known.count("/") > name.count("/"):
                        index[match.group()] = name
            self._index = index
        return self._index.get(ident)

    def find(self, pointer: str, name: str = "", mime_type: str = "") -> FoundFile | None:
        """The file a pointer names, if the export holds it; `name` and `mime_type` (from
        the message's attachments) are preferred to what the file's own name suggests, but
        not to the type its bytes show."""
        ident = file_id(pointer)
        if ident is None:
            return None
        if ident not in self._found:
            self._found[ident] = self._load(ident, mime_type)
        found = self._found[ident]
        if found is None:
            return None
        mime = found.mime_type if found.sniffed else mime_type or found.mime_type
        return replace(found, name=name or found.name, mime_type=mime)

    def _load(self, ident: str, claimed_type: str) -> FoundFile | None:
        member = self._lookup(ident)
        if member is None:
            return None
        data = self.read(member)
        digest = blob_digest(data)
        self._by_digest[digest] = member
        name = _own_name(member, ident)
        sniffed = sniffed_type(data)
        guessed = None if name.endswith(".dat") else mimetypes.guess_type(name, strict=False)[0]
        mime = sniffed or claimed_type or guessed or UNKNOWN_TYPE
        found = FoundFile(digest, name, mime, len(data), sniffed is not None)
        if mime.startswith("image/"):
            size = image_size(data)
            if size is not None:
                found = replace(found, width=size[0], height=size[1])
        elif is_text_type(mime):
            found = replace(found, text=decoded_text(data))
        return found

    def read(self, member: str) -> bytes:
        try:
            return self._read(member)
        except (zipfile.BadZipFile, zlib.error, EOFError) as e:
            raise ImportFileError(
                f"{self.label} › {member}", f"it is damaged in the archive ({e})"
            ) from e

    def blobs(self, digests: set[str]) -> Mapping[str, bytes]:
        """The bytes of the found files named by `digests`, read when they are stored."""
        return _LazyBlobs(self, {d: self._by_digest[d] for d in digests})


class _LazyBlobs(Mapping[str, bytes]):
    """ImportedConversation.blobs that reads each file only when the store asks for it."""

    def __init__(self, files: ExportFiles, members: dict[str, str]) -> None:
        self._files = files
        self._members = members

    def __getitem__(self, digest: str) -> bytes:
        return self._files.read(self._members[digest])

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)


class _ZipFiles(ExportFiles):
    def __init__(self, path: Path) -> None:
        super().__init__(path.name)
        self._path = path
        self._archive: zipfile.ZipFile | None = None

    def _open(self) -> zipfile.ZipFile:
        if self._archive is None:
            self._archive = zipfile.ZipFile(self._path)
        return self._archive

    def _names(self) -> Iterator[str]:
        return (info.filename for info in self._open().infolist() if not info.is_dir())

    def _read(self, name: str) -> bytes:
        return self._open().read(name)

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()
            self._archive = None


class _FolderFiles(ExportFiles):
    def __init__(self, folder: Path) -> None:
        super().__init__(folder.name)
        self._folder = folder

    def _names(self) -> Iterator[str]:
        for root, dirs, files in os.walk(self._folder):
            depth = len(Path(root).relative_to(self._folder).parts)
            if depth >= _FOLDER_DEPTH:
                dirs.clear()
            for name in files:
                if _FILE_ID.match(name):
                    yield str((Path(root) / name).relative_to(self._folder).as_posix())

    def _read(self, name: str) -> bytes:
        return (self._folder / name).read_bytes()


NO_FILES = ExportFiles("")


def export_files(path: Path) -> ExportFiles:
    """The files that came with the export at `path`: in the zip, in the extracted folder,
    or beside a conversations.json chosen on its own."""
    if path.is_dir():
        return _FolderFiles(path)
    if zipfile.is_zipfile(path):
        return _ZipFiles(path)
    return _FolderFiles(path.parent)
