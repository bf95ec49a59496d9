"""Name/value rows for a tool server's environment variables or HTTP headers.

Values are typed into password fields and go to the keyring only. A value already stored is
never shown in clear: its row says "Stored: ghp…a1b2" and an empty field keeps it. Pasting
`NAME=value` (or `Name: value` for a header) into a name field splits it into the two fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True, slots=True)
class SecretRowsKind:
    noun: str  # "variable", "header"
    separator: str  # what splits a pasted pair
    name_hint: str
    value_hint: str


ENV_ROWS = SecretRowsKind("variable", "=", "NAME", "value")
HEADER_ROWS = SecretRowsKind("header", ":", "Header-Name", "value")


class _Row(QWidget):
    removed = Signal(object)  # this row

    def __init__(self, kind: SecretRowsKind, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.name = QLineEdit(name)
        self.name.setPlaceholderText(kind.name_hint)
        self.name.setAccessibleName(f"{kind.noun.capitalize()} name")
        self.name.editingFinished.connect(self._split_pasted_pair)
        self.value = QLineEdit()
        self.value.setEchoMode(QLineEdit.EchoMode.Password)
        self.value.setPlaceholderText(kind.value_hint)
        self.value.setAccessibleName(f"{kind.noun.capitalize()} value")
        self.stored: str | None = None  # the masked stored value, once known
        remove = QToolButton()
        remove.setText("✕")
        remove.setAutoRaise(True)
        remove.setToolTip(f"Remove this {kind.noun}")
        remove.setAccessibleName(f"Remove this {kind.noun}")
        remove.clicked.connect(lambda: self.removed.emit(self))
        self.remove_button = remove
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.name, 2)
        row.addWidget(self.value, 3)
        row.addWidget(remove)

    def _split_pasted_pair(self) -> None:
        text = self.name.text()
        name, sep, value = text.partition(self.kind.separator)
        if sep and name.strip() and not self.value.text():
            self.name.setText(name.strip())
            self.value.setText(value.strip() if self.kind.separator == ":" else value)

    def show_stored(self, masked: str | None, *, looking: bool = False) -> None:
        self.stored = masked
        if looking:
            hint = "Looking in the keyring…"
        elif masked is not None:
            hint = f"Stored: {masked} (type to replace)"
        else:
            hint = "Not stored yet: type its value"
        self.value.setPlaceholderText(hint)


class SecretRows(QWidget):
    """Rows of NAME [value] ✕, and a button to add one."""

    changed = Signal()

    def __init__(self, kind: SecretRowsKind, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self._rows: list[_Row] = []
        self._column = QVBoxLayout()
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(4)
        self.add_button = QPushButton(f"Add {kind.noun}")
        self.add_button.setAccessibleName(f"Add an {kind.noun}" if kind.noun[0] in "aeiou"
                                          else f"Add a {kind.noun}")  # fmt: skip
        self.add_button.clicked.connect(lambda: self.add_row("").name.setFocus())
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(4)
        outer.addLayout(self._column)
        outer.addLayout(buttons)

    def set_names(self, names: Sequence[str], *, looking: bool) -> None:
        """One row per stored name, its value not known yet (`looking`) or not stored."""
        for row in list(self._rows):
            self._drop(row)
        for name in names:
            self.add_row(name).show_stored(None, looking=looking)

    def add_row(self, name: str) -> _Row:
        row = _Row(self.kind, name)
        row.removed.connect(self._drop)
        row.name.textChanged.connect(self.changed)
        row.value.textChanged.connect(self.changed)
        self._rows.append(row)
        self._column.addWidget(row)
        self.changed.emit()
        return row

    def _drop(self, row: _Row) -> None:
        self._rows.remove(row)
        self._column.removeWidget(row)
        row.deleteLater()
        self.changed.emit()

    def show_stored(self, masked: Mapping[str, str | None]) -> None:
        """The stored values, masked, by name (names missing from `masked` are not stored)."""
        for row in self._rows:
            row.show_stored(masked.get(row.name.text().strip()))

    def rows(self) -> list[_Row]:
        return list(self._rows)

    def names(self) -> tuple[str, ...]:
        """The names given, in order (empty rows left out)."""
        return tuple(
            r.name.text().strip() for r in self._rows if r.name.text().strip() or r.value.text()
        )

    def typed(self) -> dict[str, str]:
        """The values typed now, by name (an empty field keeps what is stored)."""
        return {
            r.name.text().strip(): r.value.text()
            for r in self._rows
            if r.name.text().strip() and r.value.text().strip()
        }

    def missing(self) -> list[str]:
        """Names that have neither a stored value nor one typed now."""
        return [
            r.name.text().strip()
            for r in self._rows
            if r.name.text().strip() and not r.value.text().strip() and r.stored is None
        ]

    def name_field(self, name: str) -> QLineEdit | None:
        return next((r.name for r in self._rows if r.name.text().strip() == name), None)
