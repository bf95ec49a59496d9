"""How the sidebar shows a search hit: the conversation's title and date, then the snippet with
its matches in bold. Loaded with the first search (the search results' model comes with it)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem

from kibitz.core.types import Role
from kibitz.ui.models.conversation_list import UNTITLED
from kibitz.ui.models.search_results import SearchRole, Segment
from kibitz.ui.views.sidebar_delegate import (
    AnyIndex,
    RowDelegate,
    relative_date,
    secondary_font,
    title_font,
)

# How a hit names who wrote the message.
ROLE_LABELS = {Role.USER: "You", Role.ASSISTANT: "Assistant", Role.SYSTEM: "System"}


class SearchHitDelegate(RowDelegate):
    """A search hit: the conversation's title and date, then the snippet, matches in bold."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        opt, first, second, text, muted = self._begin(painter, option)
        small = secondary_font(opt.font)
        created = index.data(SearchRole.CREATED_AT)
        date = relative_date(float(created)) if created is not None else ""
        date_w = QFontMetrics(small).horizontalAdvance(date)
        painter.setFont(small)
        painter.setPen(muted)
        painter.drawText(first, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, date)
        first.setRight(first.right() - date_w - 8)
        font = title_font(opt.font)
        painter.setFont(font)
        painter.setPen(text)
        title = str(index.data(Qt.ItemDataRole.DisplayRole) or UNTITLED)
        elided = QFontMetrics(font).elidedText(title, Qt.TextElideMode.ElideRight, first.width())
        painter.drawText(first, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided)
        segments: list[Segment] = list(index.data(SearchRole.SEGMENTS) or [])
        # Role is a StrEnum, so the stored string finds its label directly.
        label = ROLE_LABELS.get(index.data(SearchRole.MESSAGE_ROLE), "")
        _paint_segments(painter, second, label, segments, small, text, muted)
        painter.restore()


def _paint_segments(
    painter: QPainter,
    rect: QRect,
    label: str,
    segments: list[Segment],
    font: QFont,
    strong: QColor,
    muted: QColor,
) -> None:
    """One line: "You: …context [match] context…", keeping the first match in view."""
    bold = QFont(font)
    bold.setWeight(QFont.Weight.Bold)
    plain_fm, bold_fm = QFontMetrics(font), QFontMetrics(bold)
    x = float(rect.left())
    right = float(rect.right())
    baseline = rect.top() + (rect.height() + plain_fm.ascent() - plain_fm.descent()) / 2
    if label:
        painter.setFont(font)
        painter.setPen(muted)
        painter.drawText(QPointF(x, baseline), f"{label}: ")
        x += plain_fm.horizontalAdvance(f"{label}: ")
    first_match = next((i for i, (_, matched) in enumerate(segments) if matched), None)
    if first_match is not None and first_match > 0:
        # Snippets open with ten words of context: trim it from the left, not the match away.
        prefix = "".join(t for t, _ in segments[:first_match]).lstrip()
        match_w = bold_fm.horizontalAdvance(segments[first_match][0])
        room = right - x
        if plain_fm.horizontalAdvance(prefix) + match_w > room:
            allowed = max(room * 0.3, room - match_w - plain_fm.horizontalAdvance(" …"))
            prefix = plain_fm.elidedText(prefix, Qt.TextElideMode.ElideLeft, int(allowed))
        segments = [(prefix, False), *segments[first_match:]]
    for piece, matched in segments:
        room = right - x
        if room <= 0:
            break
        fm = bold_fm if matched else plain_fm
        painter.setFont(bold if matched else font)
        painter.setPen(strong if matched else muted)
        width = fm.horizontalAdvance(piece)
        if width > room:
            painter.drawText(
                QPointF(x, baseline), fm.elidedText(piece, Qt.TextElideMode.ElideRight, int(room))
            )
            break
        painter.drawText(QPointF(x, baseline), piece)
        x += width
