"""The list of MCP servers in Settings → Tools: a model of the servers and their states, and
the delegate that paints each row (a state dot, the name, the state in words, an on/off switch).

The switch is the row's check state: clicking it or pressing Space asks, through the model's
`enabled_toggled`, for the server to be turned on or off; the page changes the settings and
the model follows them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QMouseEvent, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from kibitz.core.settings.schema import McpServer
from kibitz.core.tools import ServerState, ServerStatus

AnyIndex = QModelIndex | QPersistentModelIndex

# The dot's colour per state; mid tones that read on light and dark backgrounds alike.
STATE_COLORS: Mapping[ServerState, str] = {
    ServerState.READY: "#2fa35a",
    ServerState.STARTING: "#d99a1e",
    ServerState.FAILED: "#d64541",
    ServerState.STOPPED: "#8a8d93",
    ServerState.DISABLED: "#8a8d93",
}
_SWITCH = QSize(30, 17)
_DOT = 8
_PAD = 10
_GAP = 3  # between the name and the state line


class ServerRole(enum.IntEnum):
    NAME = Qt.ItemDataRole.UserRole + 1
    STATE = Qt.ItemDataRole.UserRole + 2  # ServerState
    STATE_TEXT = Qt.ItemDataRole.UserRole + 3


def count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def failure_reason(status: ServerStatus) -> str:
    """What failed, without the headline that only names the server again: "`npx` was not
    found on PATH" of "The tool server 'files' could not be started: `npx` was not found on
    PATH". The whole error is shown beside it."""
    first = (status.error or "it stopped without saying why").splitlines()[0]
    head, colon, reason = first.partition(": ")
    return reason if colon and repr(status.name) in head and reason.strip() else first


def state_text(status: ServerStatus) -> str:
    """The state in a few words: "Ready · 5 tools", "Failed: <what failed>"."""
    if status.state is ServerState.READY:
        return f"Ready · {count(len(status.tools), 'tool')}"
    if status.state is ServerState.STARTING:
        return "Starting…"
    if status.state is ServerState.FAILED:
        return f"Failed: {failure_reason(status)}"
    if status.state is ServerState.DISABLED:
        return "Disabled"
    return "Not started"


def resting_status(server: McpServer) -> ServerStatus:
    """A server's status before anything started it."""
    return ServerStatus(
        server.name, ServerState.STOPPED if server.enabled else ServerState.DISABLED
    )


class ToolServerListModel(QAbstractListModel):
    """The configured servers in their settings order, each with its latest status."""

    enabled_toggled = Signal(str, bool)  # server name, wanted on

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._servers: list[McpServer] = []
        self._statuses: dict[str, ServerStatus] = {}

    def set_servers(
        self, servers: Sequence[McpServer], statuses: Mapping[str, ServerStatus]
    ) -> None:
        """Show these servers; a status missing from `statuses` is taken from the settings."""
        names = [s.name for s in servers]
        same_rows = names == [s.name for s in self._servers]
        if not same_rows:
            self.beginResetModel()
        self._servers = list(servers)
        self._statuses = {s.name: statuses.get(s.name) or resting_status(s) for s in servers}
        if not same_rows:
            self.endResetModel()
        elif servers:
            self.dataChanged.emit(self.index(0), self.index(len(servers) - 1))

    def update_status(self, status: ServerStatus) -> None:
        row = self.row_of(status.name)
        if row is None:
            return
        self._statuses[status.name] = status
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def row_of(self, name: str) -> int | None:
        return next((i for i, s in enumerate(self._servers) if s.name == name), None)

    def server_at(self, row: int) -> McpServer:
        return self._servers[row]

    def status_of(self, name: str) -> ServerStatus | None:
        return self._statuses.get(name)

    # -- Qt's model interface ------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's default)
        return 0 if parent.isValid() else len(self._servers)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._servers):
            return None
        server = self._servers[index.row()]
        status = self._statuses.get(server.name) or resting_status(server)
        if role in (Qt.ItemDataRole.DisplayRole, ServerRole.NAME):
            return server.name
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if server.enabled else Qt.CheckState.Unchecked
        if role == ServerRole.STATE:
            return status.state
        if role == ServerRole.STATE_TEXT:
            return state_text(status)
        if role == Qt.ItemDataRole.ToolTipRole:
            if status.state is ServerState.FAILED and status.error:
                return status.error
            return f"{server.name}: {state_text(status)}"
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            return state_text(status)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable
        )

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """The switch was flipped: ask for it (the settings change, then the row follows)."""
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        wanted = Qt.CheckState(value) == Qt.CheckState.Checked
        self.enabled_toggled.emit(self._servers[index.row()].name, wanted)
        return True


def paint_switch(painter: QPainter, rect: QRect, on: bool, palette: QPalette) -> None:
    """An on/off switch filling `rect`: the accent colour with the knob right when on."""
    text = palette.color(QPalette.ColorRole.Text)
    track = QColor(palette.color(QPalette.ColorRole.Highlight)) if on else QColor(text)
    if not on:
        track.setAlphaF(0.28)
    radius = rect.height() / 2
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(track)
    painter.drawRoundedRect(QRectF(rect), radius, radius)
    knob = rect.height() - 4
    x = rect.right() - knob - 1 if on else rect.left() + 2
    painter.setBrush(QColor("#ffffff"))
    painter.drawEllipse(QRectF(x, rect.top() + 2, knob, knob))
    painter.restore()


def _bold(font: QFont) -> QFont:
    bold = QFont(font)
    bold.setWeight(QFont.Weight.DemiBold)
    return bold


def _small(font: QFont) -> QFont:
    small = QFont(font)
    if font.pointSizeF() > 0:
        small.setPointSizeF(font.pointSizeF() * 0.9)
    return small


def _paint_row_background(painter: QPainter, opt: QStyleOptionViewItem) -> None:
    """A soft rounded highlight, as the sidebar's: the accent's full colour would swallow the
    switch, which is drawn in it."""
    palette: QPalette = opt.palette
    text = palette.color(QPalette.ColorRole.Text)
    focused = opt.widget is not None and opt.widget.hasFocus()
    if opt.state & QStyle.StateFlag.State_Selected:
        fill = QColor(palette.color(QPalette.ColorRole.Highlight)) if focused else QColor(text)
        fill.setAlphaF(0.22 if focused else 0.10)
    elif opt.state & QStyle.StateFlag.State_MouseOver:
        fill = QColor(text)
        fill.setAlphaF(0.05)
    else:
        return
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(fill)
    painter.drawRoundedRect(QRectF(opt.rect.adjusted(4, 2, -4, -2)), 6, 6)
    painter.restore()


class ServerRowDelegate(QStyledItemDelegate):
    """A server's row: state dot, name over its state in words, the switch at the right."""

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        lines = QFontMetrics(_bold(option.font)).height() + _GAP
        lines += QFontMetrics(_small(option.font)).height()
        return QSize(160, lines + 2 * _PAD)

    @staticmethod
    def switch_rect(rect: QRect) -> QRect:
        top = rect.top() + (rect.height() - _SWITCH.height()) // 2
        left = rect.right() - _PAD - _SWITCH.width() + 1
        return QRect(left, top, _SWITCH.width(), _SWITCH.height())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        palette: QPalette = opt.palette
        _paint_row_background(painter, opt)
        text = palette.color(QPalette.ColorRole.Text)
        muted = QColor(text)
        muted.setAlphaF(0.68)
        rect: QRect = opt.rect
        switch = self.switch_rect(rect)
        bold, small = _bold(opt.font), _small(opt.font)
        name_h = QFontMetrics(bold).height()
        top = rect.top() + (rect.height() - name_h - _GAP - QFontMetrics(small).height()) // 2
        left = rect.left() + _PAD + _DOT + 8
        width = switch.left() - 8 - left
        state = index.data(ServerRole.STATE)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(STATE_COLORS.get(state, STATE_COLORS[ServerState.STOPPED])))
        dot_y = top + (name_h - _DOT) / 2
        if state in (ServerState.STOPPED, ServerState.DISABLED):
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QColor(STATE_COLORS[ServerState.STOPPED]))
        painter.drawEllipse(QRectF(rect.left() + _PAD, dot_y, _DOT, _DOT))
        painter.setFont(bold)
        painter.setPen(text)
        name = str(index.data(ServerRole.NAME) or "")
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        elide = Qt.TextElideMode.ElideRight
        painter.drawText(
            QRect(left, top, width, name_h),
            align,
            QFontMetrics(bold).elidedText(name, elide, width),
        )
        painter.setFont(small)
        painter.setPen(muted)
        line = str(index.data(ServerRole.STATE_TEXT) or "")
        small_h = QFontMetrics(small).height()
        painter.drawText(
            QRect(left, top + name_h + _GAP, width, small_h),
            align,
            QFontMetrics(small).elidedText(line, elide, width),
        )
        painter.restore()
        checked = index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
        paint_switch(painter, switch, checked, palette)

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: AnyIndex,
    ) -> bool:
        """A click on the switch, or Space on the row, flips it."""
        if not index.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            return False
        if isinstance(event, QMouseEvent) and event.button() == Qt.MouseButton.LeftButton:
            on_switch = self.switch_rect(option.rect).contains(event.position().toPoint())
            if not on_switch:
                return False
            if event.type() != QEvent.Type.MouseButtonRelease:
                return True  # the press and a double click belong to the switch, not the row
        elif not (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Select)
        ):
            return False
        checked = index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
        wanted = Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked
        return model.setData(index, wanted, Qt.ItemDataRole.CheckStateRole)
