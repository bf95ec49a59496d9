"""A server's tools in Settings → Tools: a model of the tools with the policy of each, the
delegate that paints a tool (name, read-only / destructive badges, description), and the
Ask / Allow / Never choice beside it.

Choosing a policy asks for it through the model's `policy_chosen`; the page stores it and the
model follows the settings. "Default" clears the tool's own policy, so its server's applies;
its label says what that comes to for this tool (a read-only tool may then run unasked).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QComboBox, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from kibitz.core.settings.schema import McpServer, ToolsSettings
from kibitz.core.tools import Policy, ToolSpec
from kibitz.core.tools.approval import can_always_allow, decide

AnyIndex = QModelIndex | QPersistentModelIndex

TOOL_COLUMN, POLICY_COLUMN = 0, 1
POLICY_LABELS = {Policy.ASK: "Ask", Policy.ALLOW: "Allow", Policy.NEVER: "Never"}
# Badge colours: green for harmless, red for destructive; readable on light and dark.
BADGES = {"read-only": "#2fa35a", "destructive": "#d64541"}
_PAD = 7
DEFAULT_CHOICE = ""  # "Default": no policy of the tool's own
_GAP = 2


class ToolRole(enum.IntEnum):
    NAME = Qt.ItemDataRole.UserRole + 1
    DESCRIPTION = Qt.ItemDataRole.UserRole + 2
    BADGES = Qt.ItemDataRole.UserRole + 3  # tuple of badge words
    CHOICES = Qt.ItemDataRole.UserRole + 4  # [(label, policy value or DEFAULT_CHOICE), ...]


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def badges_of(spec: ToolSpec) -> tuple[str, ...]:
    return tuple(
        b for b, on in (("read-only", spec.read_only), ("destructive", spec.destructive)) if on
    )


class ServerToolsModel(QAbstractTableModel):
    """The tools of one server (as it listed them) and the policy set for each."""

    policy_chosen = Signal(object, object)  # ToolSpec, Policy or None (its server's applies)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._tools: list[ToolSpec] = []
        self._server: McpServer | None = None
        self._settings = ToolsSettings()

    def set_tools(
        self, server: McpServer | None, tools: Sequence[ToolSpec], settings: ToolsSettings
    ) -> None:
        same_rows = server is not None and [t.name for t in tools] == [t.name for t in self._tools]
        if not same_rows:
            self.beginResetModel()
        self._server, self._tools, self._settings = server, list(tools), settings
        if not same_rows:
            self.endResetModel()
        elif tools:
            self.dataChanged.emit(self.index(0, 0), self.index(len(tools) - 1, POLICY_COLUMN))

    def tool_at(self, row: int) -> ToolSpec:
        return self._tools[row]

    def own_policy(self, spec: ToolSpec) -> Policy | None:
        if self._server is None:
            return None
        own = self._server.tool_policies.get(spec.name)
        return Policy(own) if own else None

    def choices(self, spec: ToolSpec) -> tuple[tuple[str, Policy | None], ...]:
        """ "Default: <what the server's policy makes of this tool>", then the explicit ones
        (no Allow for a destructive tool: it asks regardless)."""
        if self._server is None:
            return ()
        inherited = decide(spec, _without_own(self._server, spec), self._settings)
        found: list[tuple[str, Policy | None]] = [(f"Default: {POLICY_LABELS[inherited]}", None)]
        for policy in (Policy.ASK, Policy.ALLOW, Policy.NEVER):
            if policy is Policy.ALLOW and not can_always_allow(spec):
                continue
            found.append((POLICY_LABELS[policy], policy))
        return tuple(found)

    # -- Qt's model interface ------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's default)
        return 0 if parent.isValid() else len(self._tools)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 2

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return ("Tool", "When called")[section] if 0 <= section < 2 else None
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._tools):
            return None
        spec = self._tools[index.row()]
        if index.column() == POLICY_COLUMN:
            return self._policy_data(spec, role)
        if role in (Qt.ItemDataRole.DisplayRole, ToolRole.NAME):
            return spec.name
        if role == ToolRole.DESCRIPTION:
            return first_line(spec.description or spec.title or "")
        if role == ToolRole.BADGES:
            return badges_of(spec)
        if role == Qt.ItemDataRole.ToolTipRole:
            about = (spec.description or spec.title or "").strip()
            marks = ", ".join(badges_of(spec))
            head = f"{spec.name} ({marks})" if marks else spec.name
            return f"{head}\n\n{about}" if about else head
        return None

    def _policy_data(self, spec: ToolSpec, role: int) -> Any:
        own = self.own_policy(spec)
        choices = self.choices(spec)
        if role == Qt.ItemDataRole.DisplayRole:
            return next((label for label, value in choices if value == own), "")
        # Qt carries plain strings: an enum would arrive as str, None as nothing at all.
        if role == Qt.ItemDataRole.EditRole:
            return own.value if own is not None else DEFAULT_CHOICE
        if role == ToolRole.CHOICES:
            return [(label, v.value if v is not None else DEFAULT_CHOICE) for label, v in choices]
        if role == Qt.ItemDataRole.ToolTipRole and spec.destructive:
            return "A destructive tool asks every time unless set to Never."
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled
        if index.column() == POLICY_COLUMN:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """A policy was chosen: ask for it to be stored (the model follows the settings)."""
        if role != Qt.ItemDataRole.EditRole or index.column() != POLICY_COLUMN:
            return False
        if not index.isValid():
            return False
        spec = self._tools[index.row()]
        policy = Policy(value) if value else None
        if policy != self.own_policy(spec):
            self.policy_chosen.emit(spec, policy)
        return True


def _without_own(server: McpServer, spec: ToolSpec) -> McpServer:
    policies = {k: v for k, v in server.tool_policies.items() if k != spec.name}
    return dataclasses.replace(server, tool_policies=MappingProxyType(policies))


def _font(font: QFont, *, scale: float = 1.0, weight: QFont.Weight | None = None) -> QFont:
    out = QFont(font)
    if scale != 1.0 and font.pointSizeF() > 0:
        out.setPointSizeF(font.pointSizeF() * scale)
    if weight is not None:
        out.setWeight(weight)
    return out


class ToolDelegate(QStyledItemDelegate):
    """A tool: its name and badges over the first line of its description."""

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        name = QFontMetrics(_font(option.font, weight=QFont.Weight.DemiBold)).height()
        about = QFontMetrics(_font(option.font, scale=0.9)).height()
        return QSize(200, name + _GAP + about + 2 * _PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        if opt.widget is not None:
            opt.widget.style().drawPrimitive(
                QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, opt.widget
            )
        palette: QPalette = opt.palette
        text = palette.color(QPalette.ColorRole.Text)
        muted = QColor(text)
        muted.setAlphaF(0.65)
        rect: QRect = opt.rect.adjusted(_PAD, _PAD, -_PAD, -_PAD)
        name_font = _font(opt.font, weight=QFont.Weight.DemiBold)
        small = _font(opt.font, scale=0.9)
        name_h = QFontMetrics(name_font).height()
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        badges: tuple[str, ...] = index.data(ToolRole.BADGES) or ()
        badge_font = _font(opt.font, scale=0.8, weight=QFont.Weight.DemiBold)
        badge_metrics = QFontMetrics(badge_font)
        badges_w = sum(badge_metrics.horizontalAdvance(b) + 14 for b in badges)
        name = str(index.data(ToolRole.NAME) or "")
        name_metrics = QFontMetrics(name_font)
        name_room = max(40, rect.width() - badges_w)
        shown = name_metrics.elidedText(name, Qt.TextElideMode.ElideRight, name_room)
        painter.setFont(name_font)
        painter.setPen(text)
        painter.drawText(QRect(rect.left(), rect.top(), name_room, name_h), align, shown)
        x = rect.left() + name_metrics.horizontalAdvance(shown) + 8
        painter.setFont(badge_font)
        for badge in badges:
            x += _paint_badge(painter, badge, x, rect.top(), name_h, badge_metrics) + 6
        about = str(index.data(ToolRole.DESCRIPTION) or "")
        painter.setFont(small)
        painter.setPen(muted)
        line = QRect(rect.left(), rect.top() + name_h + _GAP, rect.width(), rect.height() - name_h)
        painter.drawText(
            line,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
            QFontMetrics(small).elidedText(about, Qt.TextElideMode.ElideRight, rect.width()),
        )
        painter.restore()


def _paint_badge(
    painter: QPainter, word: str, x: int, top: int, line_h: int, metrics: QFontMetrics
) -> int:
    """A small rounded badge; returns its width."""
    colour = QColor(BADGES.get(word, "#8a8d93"))
    width = metrics.horizontalAdvance(word) + 12
    height = metrics.height() + 2
    y = top + (line_h - height) / 2
    fill = QColor(colour)
    fill.setAlphaF(0.16)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(fill)
    painter.drawRoundedRect(QRectF(x, y, width, height), height / 2, height / 2)
    painter.setPen(colour)
    painter.drawText(QRectF(x, y, width, height), Qt.AlignmentFlag.AlignCenter, word)
    return width


class PolicyDelegate(QStyledItemDelegate):
    """The Ask / Allow / Never choice, as a combo box that stays open on each row (the page
    opens a persistent editor per tool) and applies on choosing."""

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> QWidget:
        combo = QComboBox(parent)
        name = index.model().index(index.row(), TOOL_COLUMN).data(ToolRole.NAME)
        combo.setAccessibleName(f"When {name} is called")
        combo.setToolTip(str(index.data(Qt.ItemDataRole.ToolTipRole) or ""))
        combo.activated.connect(lambda _i: self.commitData.emit(combo))
        return combo

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        assert isinstance(editor, QComboBox)
        editor.blockSignals(True)
        editor.clear()
        for label, value in index.data(ToolRole.CHOICES) or ():
            editor.addItem(label, value)
        editor.setCurrentIndex(max(0, editor.findData(index.data(Qt.ItemDataRole.EditRole))))
        editor.blockSignals(False)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: AnyIndex) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> None:
        rect: QRect = option.rect
        height = editor.sizeHint().height()
        top = rect.top() + (rect.height() - height) // 2
        editor.setGeometry(rect.left() + 4, top, rect.width() - 8, height)
