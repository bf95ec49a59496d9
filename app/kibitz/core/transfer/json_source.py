"""Reading an export's JSON: from a file, a folder or a zip, with errors that say where.

A ChatGPT export's conversations.json can be tens of megabytes: its top-level array is
decoded one conversation at a time (the C decoder, element by element), so progress can
be told and a damaged file is reported at the conversation where it breaks.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kibitz.core.transfer.errors import ImportFileError

CONVERSATIONS = "conversations.json"
# Newer ChatGPT exports split the conversations over conversations-000.json, -001, ...
_SHARD = re.compile(r"conversations-(\d+)\.json")
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_RETRY_HINT = (
    "Nothing was imported. The file looks cut short or damaged: download the export again "
    "(or extract it again) and import the new copy."
)


@dataclass(frozen=True, slots=True)
class JsonText:
    """One JSON document and how to name it to the user."""

    name: str  # e.g. "export.zip › conversations.json"
    text: str

    def first_char(self) -> str:
        start = _skip(self.text, 0)
        return self.text[start : start + 1]


def _skip(text: str, pos: int) -> int:
    """The position of the first non-blank character at or after `pos`."""
    match = _SPACE.match(text, pos)
    return pos if match is None else match.end()


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ImportFileError(
            name, f"this is not a JSON text file (byte {e.start} is not UTF-8 text)"
        ) from e


def _zip_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """conversations.json (the shallowest one), else the numbered shards in order."""
    files = [info for info in archive.infolist() if not info.is_dir()]
    whole = [i for i in files if i.filename.rsplit("/", 1)[-1] == CONVERSATIONS]
    if whole:
        return [min(whole, key=lambda i: i.filename.count("/"))]
    shards = [
        (int(m.group(1)), i)
        for i in files
        if (m := _SHARD.fullmatch(i.filename.rsplit("/", 1)[-1])) is not None
    ]
    return [info for _, info in sorted(shards, key=lambda pair: pair[0])]


def _read_zip(path: Path) -> list[JsonText]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = _zip_members(archive)
            if not members:
                raise ImportFileError(
                    path.name,
                    f"the zip archive holds no {CONVERSATIONS}",
                    hint="Nothing was imported. Choose the .zip that ChatGPT's “Export data” "
                    f"sent you; it has {CONVERSATIONS} at its top level.",
                )
            texts = []
            for info in members:
                name = f"{path.name} › {info.filename}"
                try:
                    data = archive.read(info)
                except (zipfile.BadZipFile, zlib.error, EOFError) as e:
                    raise ImportFileError(name, f"it is damaged in the archive ({e})") from e
                texts.append(JsonText(name, _decode(data, name)))
            return texts
    except zipfile.BadZipFile as e:
        raise ImportFileError(
            path.name, f"this is not a complete zip archive ({e})", hint=_RETRY_HINT
        ) from e


def _read_folder(path: Path) -> list[JsonText]:
    """An export someone already extracted: its conversations.json, or its shards."""
    whole = path / CONVERSATIONS
    if whole.is_file():
        files = [whole]
    else:
        shards = sorted(
            (int(m.group(1)), p)
            for p in path.iterdir()
            if (m := _SHARD.fullmatch(p.name)) is not None and p.is_file()
        )
        files = [p for _, p in shards]
    if not files:
        raise ImportFileError(path.name, f"the folder holds no {CONVERSATIONS}")
    texts = []
    for file in files:
        name = f"{path.name}/{file.name}"
        texts.append(JsonText(name, _decode(file.read_bytes(), name)))
    return texts


def read_texts(path: Path) -> list[JsonText]:
    """The JSON documents an import reads from `path` (a .json file, a .zip or a folder).

    ImportFileError names what is wrong; OSError (missing file, no permission) passes.
    """
    if path.is_dir():
        return _read_folder(path)
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(b"PK"):
        return _read_zip(path)
    if path.suffix.lower() == ".zip":
        raise ImportFileError(path.name, "this is not a zip archive", hint=_RETRY_HINT)
    text = _decode(path.read_bytes(), path.name)
    if not text.strip():
        raise ImportFileError(path.name, "the file is empty")
    return [JsonText(path.name, text)]


def _syntax_error(source: JsonText, error: json.JSONDecodeError, what: str) -> ImportFileError:
    at = f"{source.name}, line {error.lineno}, column {error.colno}"
    # The decoder says "Unterminated string" only when the text ends inside a string.
    if error.pos >= len(source.text.rstrip()) or error.msg.startswith("Unterminated string"):
        return ImportFileError(
            at, f"the file ends in the middle of {what}: it is cut short", hint=_RETRY_HINT
        )
    return ImportFileError(at, f"invalid JSON in {what}: {error.msg}", hint=_RETRY_HINT)


def load_document(source: JsonText) -> Any:
    """The whole document, parsed; ImportFileError with line and column if it is not JSON."""
    try:
        return json.loads(source.text)
    except json.JSONDecodeError as e:
        raise _syntax_error(source, e, "the document") from e
    except RecursionError as e:
        raise ImportFileError(source.name, "the JSON is nested too deeply") from e


def iter_array(
    source: JsonText, progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, Any]]:
    """(index, value) for each element of the top-level array, decoded one at a time.

    `progress(chars_read)` follows each element. ImportFileError names the element and the
    line and column where the JSON breaks, or says the file was cut short.
    """
    text = source.text
    pos = _skip(text, 0)
    if text[pos : pos + 1] != "[":
        raise ImportFileError(source.name, "expected a JSON array of conversations")
    pos = _skip(text, pos + 1)
    index = 0
    if text[pos : pos + 1] == "]":
        return
    while True:
        what = f"conversation {index + 1}"
        try:
            value, pos = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            raise _syntax_error(source, e, what) from e
        except RecursionError as e:
            raise ImportFileError(source.name, f"{what} is nested too deeply") from e
        yield index, value
        index += 1
        if progress is not None:
            progress(pos)
        pos = _skip(text, pos)
        sep = text[pos : pos + 1]
        if sep == "]":
            return
        if sep != ",":
            error = json.JSONDecodeError("Expecting ',' delimiter", text, pos)
            raise _syntax_error(source, error, f"the list after {what}")
        pos = _skip(text, pos + 1)
