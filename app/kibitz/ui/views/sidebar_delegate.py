"""How the sidebar looks: its rows, its list and its icons, all painted from the palette."""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QDate,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QListView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from kibitz.ui.icons import icon_in
from kibitz.ui.models.conversation_list import UNTITLED, ConversationRole
from kibitz.ui.style import TYPE_SCALE, scaled_font

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStyle

AnyIndex = QModelIndex | QPersistentModelIndex

LAYOUT_BATCH = 100  # rows the list lays out per pass of the event loop (a screenful is ~15)
ROW_HEIGHT = 48  # comfortable to click and to read two lines, as in the best chat clients
_MARGIN_H = 6  # between the view's edge and the rounded row
_MARGIN_V = 1
_PAD_H = 10  # inside the rounded row
_GAP = 2  # between the two lines
_RADIUS = 6.0
_PIN = 12  # the pin marker's box


def relative_date(timestamp: float, now: float | None = None, locale: QLocale | None = None) -> str:
    """ "Today 14:02", "Yesterday", "Mon" within a week, "12 Mar" this year, else "12 Mar 2023"."""
    loc = locale or QLocale()
    when = datetime.fromtimestamp(timestamp)
    today = datetime.fromtimestamp(time.time() if now is None else now).date()
    days = (today - when.date()).days
    if days == 0:
        clock = loc.toString(QTime(when.hour, when.minute), QLocale.FormatType.ShortFormat)
        return f"Today {clock}"
    if days == 1:
        return "Yesterday"
    if 1 < days < 7:
        return loc.dayName(when.isoweekday(), QLocale.FormatType.ShortFormat)
    date = QDate(when.year, when.month, when.day)
    return loc.toString(date, "d MMM" if when.year == today.year else "d MMM yyyy")


def _alpha(color: QColor, alpha: float) -> QColor:
    out = QColor(color)
    out.setAlphaF(alpha)
    return out


def secondary_font(font: QFont) -> QFont:
    if font.pointSizeF() > 0:
        return scaled_font(font, "caption")
    small = QFont(font)  # a font sized in pixels
    small.setPixelSize(max(9, round(font.pixelSize() * TYPE_SCALE["caption"])))
    return small


def title_font(font: QFont) -> QFont:
    title = QFont(font)
    title.setWeight(QFont.Weight.Medium)
    return title


class RowDelegate(QStyledItemDelegate):
    """The rounded row with hover and selection, and the geometry of its two lines.

    Hover and selection come from the option's `state`, and reading it makes PySide build
    QStyle's Python type with all its enums (~4 ms). A delegate made with `states=False` (the
    first frame's list, where no row is selected yet) draws its rows plain until
    `show_states()`; a row hovered meanwhile shows it from the next repaint.
    """

    def __init__(self, parent: QWidget | None = None, *, states: bool = True) -> None:
        super().__init__(parent)
        # Selected, hovered: QStyle's flags, once show_states() has built it.
        self._flags: tuple[QStyle.StateFlag, QStyle.StateFlag] | None = None
        if states:
            self.show_states()

    def show_states(self) -> None:
        from PySide6.QtWidgets import QStyle  # here, not at the top: see the class's docstring

        self._flags = (QStyle.StateFlag.State_Selected, QStyle.StateFlag.State_MouseOver)

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> Any:
        size = super().sizeHint(option, index)
        title = QFontMetrics(title_font(option.font))
        small = QFontMetrics(secondary_font(option.font))
        lines = title.height() + _GAP + small.height() + 2 * (_MARGIN_V + 7)
        size.setHeight(max(ROW_HEIGHT, lines))
        return size

    @staticmethod
    def _row_rect(option: QStyleOptionViewItem) -> QRect:
        rect: QRect = option.rect
        return rect.adjusted(_MARGIN_H, _MARGIN_V, -_MARGIN_H, -_MARGIN_V)

    def _line_rects(self, option: QStyleOptionViewItem) -> tuple[QRect, QRect]:
        """The title line and the secondary line, centred vertically in the row."""
        row = self._row_rect(option).adjusted(_PAD_H, 0, -_PAD_H, 0)
        title_h = QFontMetrics(title_font(option.font)).height()
        small_h = QFontMetrics(secondary_font(option.font)).height()
        top = row.top() + (row.height() - title_h - _GAP - small_h) // 2
        first = QRect(row.left(), top, row.width(), title_h)
        second = QRect(row.left(), top + title_h + _GAP, row.width(), small_h)
        return first, second

    def _paint_background(self, painter: QPainter, option: QStyleOptionViewItem) -> None:
        if self._flags is None:
            return
        selected, hovered = self._flags
        palette: QPalette = option.palette
        state = option.state
        text = palette.color(QPalette.ColorRole.Text)
        widget = option.widget
        focused = widget is not None and widget.hasFocus()
        if state & selected:
            # The accent only while the list has the keyboard; a quiet grey pill otherwise.
            fill = (
                _alpha(palette.color(QPalette.ColorRole.Highlight), 0.24)
                if focused
                else _alpha(text, 0.10)
            )
        elif state & hovered:
            fill = _alpha(text, 0.05)
        else:
            return
        path = QPainterPath()
        path.addRoundedRect(self._row_rect(option), _RADIUS, _RADIUS)
        painter.fillPath(path, fill)

    @staticmethod
    def _colors(option: QStyleOptionViewItem) -> tuple[QColor, QColor]:
        """The main text colour and the muted one for secondary text."""
        palette: QPalette = option.palette
        text = palette.color(QPalette.ColorRole.Text)
        return text, _alpha(text, 0.6)

    def _begin(
        self, painter: QPainter, option: QStyleOptionViewItem
    ) -> tuple[QStyleOptionViewItem, QRect, QRect, QColor, QColor]:
        """Start painting a row (the caller restores the painter): the option, the two line
        rectangles, and the text and muted colours."""
        # A copy, not initStyleOption: the rows are drawn from the model's own roles, and it
        # would ask the model (in Python) for seven roles per row that none of them has.
        opt = QStyleOptionViewItem(option)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_background(painter, opt)
        first, second = self._line_rects(opt)
        text, muted = self._colors(opt)
        return opt, first, second, text, muted


class ConversationDelegate(RowDelegate):
    """A conversation: its title (elided), when it was last active, a pin when pinned.

    Its title editor commits by emitting `title_edited`, not by writing to the model: the
    sidebar's controller stores renames (and says so when the store refuses one).
    """

    title_edited = Signal(int, str)  # conversation id, the text as typed

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        opt, first, second, text, muted = self._begin(painter, option)
        pinned = bool(index.data(ConversationRole.PINNED))
        if pinned and not index.sibling(index.row() + 1, 0).data(ConversationRole.PINNED):
            # A hairline under the last pinned row sets them apart from the recent ones.
            row = self._row_rect(opt)
            y = opt.rect.bottom()
            painter.setPen(QPen(_alpha(text, 0.12), 1))
            painter.drawLine(row.left() + _PAD_H, y, row.right() - _PAD_H, y)
        if pinned:
            pin_box = QRect(first.right() - _PIN + 1, first.center().y() - _PIN // 2, _PIN, _PIN)
            _paint_pin(painter, pin_box, muted)
            first.setRight(first.right() - _PIN - 6)
        title = str(index.data(Qt.ItemDataRole.DisplayRole) or UNTITLED)
        font = title_font(opt.font)
        painter.setFont(font)
        painter.setPen(text)
        elided = QFontMetrics(font).elidedText(title, Qt.TextElideMode.ElideRight, first.width())
        painter.drawText(first, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided)
        small = secondary_font(opt.font)
        painter.setFont(small)
        painter.setPen(muted)
        painter.drawText(
            second,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(small).elidedText(
                conversation_subtitle(index), Qt.TextElideMode.ElideRight, second.width()
            ),
        )
        painter.restore()

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> QWidget:
        editor = QLineEdit(parent)
        editor.setAccessibleName("Conversation title")
        editor.setPlaceholderText(UNTITLED)
        return editor

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        if isinstance(editor, QLineEdit):
            editor.setText(str(index.data(Qt.ItemDataRole.EditRole) or ""))
            editor.selectAll()

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: AnyIndex) -> None:
        if isinstance(editor, QLineEdit) and index.isValid():
            self.title_edited.emit(int(index.data(ConversationRole.ID)), editor.text())

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> None:
        first, _ = self._line_rects(option)
        height = max(editor.sizeHint().height(), first.height() + 6)
        editor.setGeometry(
            first.left() - 4, first.center().y() - height // 2, first.width() + 8, height
        )


def conversation_subtitle(index: AnyIndex, now: float | None = None) -> str:
    """The secondary line: last activity and, when there are any, how many messages."""
    updated = index.data(ConversationRole.UPDATED_AT)
    parts = [relative_date(float(updated), now)] if updated is not None else []
    count = int(index.data(ConversationRole.MESSAGE_COUNT) or 0)
    if count:
        parts.append(f"{count} message{'s' if count != 1 else ''}")
    return " · ".join(parts)


def deleted_ago(deleted_at: float, now: float | None = None) -> str:
    """ "Deleted just now", "Deleted 5 minutes ago", "Deleted 3 hours ago", "Deleted 3 days ago"."""
    seconds = max(0.0, (time.time() if now is None else now) - deleted_at)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        count = int(seconds // size)
        if count:
            return f"Deleted {count} {unit}{'s' if count != 1 else ''} ago"
    return "Deleted just now"


class TrashDelegate(RowDelegate):
    """A conversation in the Trash: its title, and when it was deleted."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        opt, first, second, text, muted = self._begin(painter, option)
        title = str(index.data(Qt.ItemDataRole.DisplayRole) or UNTITLED)
        font = title_font(opt.font)
        painter.setFont(font)
        painter.setPen(text)
        elided = QFontMetrics(font).elidedText(title, Qt.TextElideMode.ElideRight, first.width())
        painter.drawText(first, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided)
        deleted = index.data(ConversationRole.DELETED_AT)
        small = secondary_font(opt.font)
        painter.setFont(small)
        painter.setPen(muted)
        line = deleted_ago(float(deleted)) if deleted is not None else ""
        painter.drawText(
            second,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(small).elidedText(line, Qt.TextElideMode.ElideRight, second.width()),
        )
        painter.restore()


def _paint_pin(painter: QPainter, box: QRect, color: QColor) -> None:
    """A small push-pin, drawn rather than taken from an icon theme that may lack one."""
    painter.save()
    painter.translate(box.center())
    painter.rotate(45)
    s = box.width() / 12.0
    path = QPainterPath()
    path.addRoundedRect(-2.5 * s, -6 * s, 5 * s, 5.5 * s, 1.2 * s, 1.2 * s)  # head
    path.addRoundedRect(-4.5 * s, -1 * s, 9 * s, 2 * s, 1 * s, 1 * s)  # collar
    path.addRect(-0.6 * s, 1 * s, 1.2 * s, 5 * s)  # needle
    painter.fillPath(path, color)
    painter.restore()


class PlaceholderListView(QListView):
    """A list that says why it is empty when it is (under a large faded icon, if given)."""

    _ICON = 40

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Our own viewport, made here: the one Qt makes is a QWidget PySide6 has never seen,
        # and wrapping it (the first viewport() call) makes PySide6 load every QWidget
        # subclass it has, ~65 enum types, 15 ms of the window's first frame.
        self.setViewport(QWidget(self))
        self._placeholder = ""
        self._placeholder_icon = ""

    def set_placeholder(self, text: str, icon_name: str = "") -> None:
        """`icon_name`: one of kibitz.ui.icons' names, drawn above the text."""
        self._placeholder = text
        self._placeholder_icon = icon_name
        self.viewport().update()

    def placeholder(self) -> str:
        return self._placeholder

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is None or model.rowCount() > 0 or not self._placeholder:
            return
        painter = QPainter(self.viewport())
        color = QColor(self.palette().color(QPalette.ColorRole.Text))
        color.setAlphaF(0.55)
        painter.setPen(color)
        area = self.viewport().rect().adjusted(16, 24, -16, -16)
        if self._placeholder_icon:
            # Faded by opacity: the icon's colour is written into its SVG without alpha.
            solid = QColor(color)
            solid.setAlphaF(1.0)
            box = QRect(area.center().x() - self._ICON // 2, area.top(), self._ICON, self._ICON)
            painter.save()
            painter.setOpacity(0.3)
            icon_in(self._placeholder_icon, solid).paint(painter, box)
            painter.restore()
            area.setTop(box.bottom() + 12)
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        painter.drawText(area, int(flags), self._placeholder)
        painter.end()


class SidebarListView(PlaceholderListView):
    """The list under the search field (conversations or search hits).

    Its rows are laid out in batches from the event loop: laying out a row asks the model for
    its index (a call into Python), and setting the app's stylesheet lays out every row twice,
    ~2,000 calls and ~3 ms of the first frame with 1,000 conversations. A row scrolled to
    before its batch came is laid out at once, with the rows before it.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(LAYOUT_BATCH)

    def scrollTo(
        self,
        index: AnyIndex,
        hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible,
    ) -> None:
        if index.isValid() and not self.visualRect(index).isValid():  # not laid out yet
            self.setLayoutMode(QListView.LayoutMode.SinglePass)
            self.doItemsLayout()
            self.setLayoutMode(QListView.LayoutMode.Batched)
        super().scrollTo(index, hint)
