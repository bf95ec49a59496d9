"""Search results for the sidebar: the store's full-text hits, with their matched words marked."""

from __future__ import annotations

import enum
import logging
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from kibitz.core.changes import ChangeKind, Changes
from kibitz.core.errors import StoreError
from kibitz.ui.models.conversation_list import UNTITLED, follow_store

if TYPE_CHECKING:
    from kibitz.core.store import Store
    from kibitz.core.types import SearchHit

log = logging.getLogger(__name__)

SEARCH_LIMIT = 50

# One "[match]" of the store's snippet; the brackets are the marks SearchHit promises.
_MARK = re.compile(r"\[([^\[\]\n]+)\]")

AnyIndex = QModelIndex | QPersistentModelIndex
# A piece of a snippet and whether it is a matched word.
Segment = tuple[str, bool]


class SearchRole(enum.IntEnum):
    CONVERSATION_ID = Qt.ItemDataRole.UserRole + 1
    MESSAGE_ID = enum.auto()
    SNIPPET = enum.auto()  # plain text, marks removed
    SEGMENTS = enum.auto()  # list[Segment]: what the delegate paints
    MESSAGE_ROLE = enum.auto()  # the kibitz Role of the message (user, assistant, ...)
    CREATED_AT = enum.auto()


def _fold(text: str) -> str:
    """Case and diacritics folded, as the FTS tokenizer compares words ("Café" == "cafe")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def snippet_segments(snippet: str, query: str) -> list[Segment]:
    """Split a snippet into plain and matched pieces; newlines become spaces.

    Message text may hold brackets of its own (code, citations): a bracketed piece counts
    as a match only when it starts with one of the query's words, as every FTS match does.
    """
    terms = [_fold(t) for t in re.findall(r"[^\W_]+", query)]
    text = " ".join(snippet.split("\n"))
    segments: list[Segment] = []
    pos = 0
    for mark in _MARK.finditer(text):
        inner = mark.group(1)
        folded = _fold(inner)
        if not any(folded.startswith(t) for t in terms):
            continue
        if mark.start() > pos:
            segments.append((text[pos : mark.start()], False))
        segments.append((inner, True))
        pos = mark.end()
    if pos < len(text):
        segments.append((text[pos:], False))
    return segments


def segments_html(segments: Sequence[Segment]) -> str:
    """Rich text for tooltips: matched words bold, everything else escaped."""
    from html import escape  # here: the module's table of entities costs ~1 ms at start-up

    return "".join(
        f"<b>{escape(text)}</b>" if matched else escape(text) for text, matched in segments
    )


# Changes that can take hits away or bring them back, or change the titles they show. New
# messages are left out: re-running on every reply would reset the list under the user.
_STALE = frozenset({ChangeKind.RENAMED, ChangeKind.DELETED, ChangeKind.RESTORED, ChangeKind.PURGED})


class SearchResultsModel(QAbstractListModel):
    """The hits of one query, newest first; `search()` replaces them.

    Follows the store: renaming, deleting or restoring a conversation runs the query again.
    """

    _store_changed = Signal(object)

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._query = ""
        self._hits: list[SearchHit] = []
        self._segments: list[list[Segment]] = []
        self._store_changed.connect(self._on_store_changed)
        follow_store(store, self, "_store_changed")

    def _on_store_changed(self, changes: Changes) -> None:
        if not self._query.strip() or changes.kind not in _STALE:
            return
        # A restore can bring hits back; the others matter only if some hit is shown.
        if self._hits or changes.kind == ChangeKind.RESTORED:
            self.search(self._query)

    @property
    def query(self) -> str:
        return self._query

    def search(self, query: str, limit: int = SEARCH_LIMIT) -> None:
        """Run `query` against the store and show its hits (none for a blank query)."""
        try:
            hits = self._store.search(query, limit) if query.strip() else []
        except StoreError:
            log.exception("search failed")
            hits = []
        self.beginResetModel()
        self._query = query
        self._hits = hits
        self._segments = [snippet_segments(h.snippet, query) for h in hits]
        self.endResetModel()

    def clear(self) -> None:
        self.search("")

    def hit_at(self, row: int) -> SearchHit | None:
        return self._hits[row] if 0 <= row < len(self._hits) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.checkIndex(index, QAbstractListModel.CheckIndexOption.IndexIsValid):
            return None
        hit = self._hits[index.row()]
        segments = self._segments[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return hit.conversation_title or UNTITLED
        if role == Qt.ItemDataRole.ToolTipRole:
            from html import escape

            title = escape(hit.conversation_title or UNTITLED)
            return f"<b>{title}</b><br>{segments_html(segments)}"
        if role in (SearchRole.SNIPPET, Qt.ItemDataRole.AccessibleDescriptionRole):
            return "".join(text for text, _ in segments)
        if role == SearchRole.SEGMENTS:
            return segments
        if role == SearchRole.CONVERSATION_ID:
            return int(hit.conversation_id)
        if role == SearchRole.MESSAGE_ID:
            return int(hit.message_id)
        if role == SearchRole.MESSAGE_ROLE:
            return str(hit.role)
        if role == SearchRole.CREATED_AT:
            return hit.created_at
        return None

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        names.update({int(r): QByteArray(r.name.lower().encode()) for r in SearchRole})
        return names
