"""Settings → Prices: what each model costs per million tokens, editable, with where each price
comes from (the shipped list and its date, OpenRouter's list, the user's edit).

Prices live in the store (core/store/ledger.py), not in the settings file: a reply's cost is
computed from them when its usage arrives and kept with the reply, so an edit here applies to
later replies only.
"""

from __future__ import annotations

import datetime
import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.errors import StoreError
from kibitz.core.pricing import (
    DEFAULT_PRICES,
    DEFAULTS_AS_OF,
    DEFAULTS_SOURCE,
    Price,
    PriceKey,
    format_per_million,
    usd_per_million,
)
from kibitz.core.store import Store
from kibitz.ui.settings.form_page import help_label

log = logging.getLogger(__name__)

EDITED = "edited"
HEADERS = ("Provider", "Model", "Input", "Cached input", "Output", "Reasoning", "Image", "Source")
# The price fields of each editable column, in order after Provider and Model.
_FIELDS = ("input", "cached_input", "output", "reasoning", "image")
_FIRST_PRICE = 2
_SOURCE = len(HEADERS) - 1
INTRO = (
    "US dollars per million tokens (Image: per image). Empty Cached input bills cached tokens "
    "as input; empty Reasoning bills reasoning as output. Provider is a provider kind "
    "(openai, openrouter: every profile of that kind) or a profile's name. Local servers cost "
    "nothing. A change applies to replies from now on; earlier replies keep their cost."
)


def _source_text(price: Price) -> str:
    return f"{price.source}, {price.as_of}" if price.as_of else price.source


class PricesPage(QWidget):
    """The shipped prices with the stored ones over them; cells edit in place."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._keys: list[PriceKey | None] = []  # by row; None: a new row not stored yet
        self._filling = False
        self.defaults_note = help_label(
            f"Shipped prices: {DEFAULTS_SOURCE}, as of {DEFAULTS_AS_OF}."
        )
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setAccessibleName("Prices")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(300)
        self.add_button = QPushButton("Add a price")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Forget this price (a shipped one applies again)")
        self.error = QLabel()
        self.error.setObjectName("FieldError")
        self.error.setWordWrap(True)
        self.error.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.defaults_note)
        column.addWidget(self.table, 1)
        column.addLayout(buttons)
        column.addWidget(self.error)

        self.add_button.clicked.connect(self.add_row)
        self.remove_button.clicked.connect(self.remove_current)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.currentCellChanged.connect(lambda *_: self._update_buttons())
        self.reload()

    # -- reading ----------------------------------------------------------------------------------

    def effective(self) -> dict[PriceKey, Price]:
        """The shipped prices with the stored ones over them."""
        try:
            stored = self._store.stored_prices()
        except StoreError as e:
            self._say(" ".join(e.lines()))
            stored = {}
        return {**DEFAULT_PRICES, **stored}

    def reload(self) -> None:
        prices = self.effective()
        self._filling = True
        try:
            self.table.setRowCount(0)
            self._keys = []
            for key in sorted(prices):
                self._append(key, prices[key])
        finally:
            self._filling = False
        self._update_buttons()

    def _append(self, key: PriceKey | None, price: Price | None) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self._keys.append(key)
        provider, model = key or ("", "")
        cells = [provider, model]
        cells += [format_per_million(getattr(price, f)) if price else "" for f in _FIELDS]
        cells.append(_source_text(price) if price else "")
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column >= _FIRST_PRICE:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if column == _SOURCE or (column < _FIRST_PRICE and key is not None):
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, column, item)
        return row

    # -- editing ----------------------------------------------------------------------------------

    def add_row(self) -> None:
        """A new empty row: type its provider and model, then its prices."""
        self._filling = True
        try:
            row = self._append(None, None)
        finally:
            self._filling = False
        self.table.setCurrentCell(row, 0)
        first = self.table.item(row, 0)
        if first is not None:
            self.table.editItem(first)

    def remove_current(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            return
        key = self._keys[row]
        if key is not None:
            try:
                self._store.remove_price(*key)
            except StoreError as e:
                self._say(" ".join(e.lines()))
                return
        self._say("")
        self.reload()

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text().strip() if item is not None else ""

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if not self._filling:
            self.commit_row(item.row())

    def commit_row(self, row: int) -> bool:
        """Store the row's price as the user's edit; False (and said why) if it cannot be."""
        key = self._keys[row] or (self._text(row, 0), self._text(row, 1))
        if not key[0] or not key[1]:
            return False  # a new row gets its provider and model first
        values: dict[str, int | None] = {}
        for offset, name in enumerate(_FIELDS):
            text = self._text(row, _FIRST_PRICE + offset)
            try:
                values[name] = usd_per_million(text) if text else None
            except ValueError:
                self._say(f"{HEADERS[_FIRST_PRICE + offset]}: {text!r} is not a price in dollars.")
                return False
        if values["input"] is None or values["output"] is None:
            self._say("A price needs at least Input and Output (0 for free).")
            return False
        today = datetime.date.today().isoformat()
        price = Price(
            input=values["input"],
            output=values["output"],
            cached_input=values["cached_input"],
            reasoning=values["reasoning"],
            image=values["image"],
            source=EDITED,
            as_of=today,
        )
        try:
            self._store.set_price(key[0], key[1], price)
        except StoreError as e:
            self._say(" ".join(e.lines()))
            return False
        self._say("")
        self._keys[row] = key
        self._filling = True
        try:
            for column in (0, 1):
                cell = self.table.item(row, column)
                if cell is not None:
                    cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
            source = self.table.item(row, _SOURCE)
            if source is not None:
                source.setText(_source_text(price))
        finally:
            self._filling = False
        self._update_buttons()
        return True

    def _update_buttons(self) -> None:
        row = self.table.currentRow()
        stored = row >= 0 and self._keys[row] not in DEFAULT_PRICES
        edited_default = (
            row >= 0
            and self._keys[row] in DEFAULT_PRICES
            and (self._text(row, _SOURCE).startswith(EDITED))
        )
        self.remove_button.setEnabled(bool(stored or edited_default))
        self.remove_button.setText("Reset to shipped price" if edited_default else "Remove")

    def _say(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        if text:
            log.info("prices: %s", text)
