"""What the Settings pages that keep a list of named things share (system prompts, schemas):
the list on the left beside its editor, and refilling the list after the settings changed."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QHBoxLayout,
    QLabel,
    QLayout,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)


def beside_list(page: QWidget, left: QLayout, editor: QWidget, empty: QLabel) -> None:
    """Lay `page` out: the list column `left`, and beside it `editor`, or `empty` while there
    is nothing to edit."""
    outer = QHBoxLayout(page)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addLayout(left)
    side = QVBoxLayout()
    side.addWidget(empty, 0, Qt.AlignmentFlag.AlignTop)
    side.addWidget(editor, 1)
    outer.addLayout(side, 1)


def refill(
    names: QListWidget,
    rows: Sequence[tuple[str, str]],
    current: str | None,
    *,
    empty: QWidget,
    editor: QWidget,
    remove: QAbstractButton,
) -> bool:
    """Show `rows` (name, label) in `names` with `current` chosen, without telling anyone, and
    the editor or the empty note; whether the first row was chosen because none was (which
    tells the page through the list's signal)."""
    names.blockSignals(True)
    names.clear()
    for name, label in rows:
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, name)
        names.addItem(item)
        if name == current:
            names.setCurrentItem(item)
    names.blockSignals(False)
    has_any = bool(rows)
    empty.setVisible(not has_any)
    editor.setVisible(has_any)
    remove.setEnabled(has_any)
    if has_any and names.currentItem() is None:
        names.setCurrentRow(0)
        return True
    return False
