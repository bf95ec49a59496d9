"""The transfer branch of the error tree: files that cannot be imported, exports not written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kibitz.core.errors import KibitzError


class TransferError(KibitzError):
    code = "transfer"
    default_headline = "The transfer failed"
    default_hint = "Nothing was changed."


class ImportFileError(TransferError):
    """The file is not something Kibitz can import; `where` names the file and the spot in it."""

    code = "import_file"
    default_headline = "This file cannot be imported"
    default_hint = (
        "Nothing was imported. Choose a ChatGPT export (the .zip, or the conversations.json "
        "inside it) or a Kibitz JSON export."
    )

    def __init__(self, where: str, problem: str, *, hint: str | None = None) -> None:
        super().__init__(f"{where}: {problem}", hint=hint)
        self.where = where
        self.problem = problem


class ExportWriteError(TransferError):
    code = "export_write"
    default_headline = "The export could not be written"
    default_hint = "Check that the folder exists and is writable and that the disk is not full."


def conversation_label(index: int, data: Any) -> str:
    """How errors name a conversation of a file: its position, and its title if it has one."""
    title = data.get("title") if isinstance(data, Mapping) else None
    if isinstance(title, str) and title.strip():
        return f"conversation {index + 1} (“{' '.join(title.split())[:60]}”)"
    return f"conversation {index + 1}"
