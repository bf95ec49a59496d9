"""The model menu: a popup over the composer listing each provider's models, searchable.

Typing filters (every word must appear in the model's or the provider's name); Up and Down
move between models, Enter picks, Esc closes. Each provider is a heading with a quiet note
beside it ("loading…", "offline – cached list"); the conversation's model has a check mark.
A typed name no server lists is offered as "Use 'name'" with the current provider, since
many servers accept models they do not list. The menu only shows what it is given and says
what was picked; a controller fills it (kibitz.ui.controllers.model_choice).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QHideEvent, QIcon, QKeyEvent, QPalette, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kibitz.ui.icons import icon
from kibitz.ui.style import scaled_font

_WIDTH = 340
_MAX_HEIGHT = 420
_CHOICE = Qt.ItemDataRole.UserRole + 1  # the ChosenModel an item stands for


@dataclass(frozen=True, slots=True)
class ChosenModel:
    """A model on a provider: what the menu offers and what it says was picked. `provider` is
    the profile's name as shown (the environment's provider is "default")."""

    provider: str
    model: str


@dataclass(frozen=True, slots=True)
class ProviderModels:
    """One provider's heading and its models; `note` is said quietly beside the heading."""

    provider: str
    models: tuple[str, ...]
    note: str = ""


class ModelMenu(QFrame):
    """Emits `model_chosen(ChosenModel)` and closes; `closed` whenever it goes."""

    model_chosen = Signal(object)  # ChosenModel
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("ModelMenu")
        self.setAccessibleName("Choose a model")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._groups: list[ProviderModels] = []
        self._current: ChosenModel | None = None
        self.search = QLineEdit()
        self.search.setObjectName("ModelSearch")
        self.search.setAccessibleName("Search models")
        self.search.setPlaceholderText("Search models, or type a name…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.installEventFilter(self)
        self.list = QListWidget()
        self.list.setObjectName("ModelList")
        self.list.setAccessibleName("Models")
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay in the search field
        self.list.setIconSize(QSize(14, 14))
        self.list.setUniformItemSizes(False)
        self.list.itemClicked.connect(self._on_list_item_clicked)
        column = QVBoxLayout(self)
        column.setContentsMargins(6, 6, 6, 6)
        column.setSpacing(6)
        column.addWidget(self.search)
        column.addWidget(self.list, 1)
        self.resize(_WIDTH, _MAX_HEIGHT)

    # -- what the controller sets ---------------------------------------------------------------

    def set_groups(self, groups: Sequence[ProviderModels], current: ChosenModel | None) -> None:
        """Show these providers' models, `current` checked (the search text is kept)."""
        self._groups = list(groups)
        self._current = current
        self._fill()

    def update_group(self, group: ProviderModels) -> None:
        """A provider's list or note changed (its server answered, or could not be reached)."""
        self._groups = [group if g.provider == group.provider else g for g in self._groups]
        self._fill()

    def groups(self) -> list[ProviderModels]:
        return list(self._groups)

    def popup_at(self, anchor: QWidget) -> None:
        """Open just above `anchor` (the composer sits at the bottom of the window), or below
        it where there is no room above; the search field takes the keys."""
        self.search.clear()
        self._fill()
        height = min(_MAX_HEIGHT, max(160, self.sizeHint().height()))
        self.resize(_WIDTH, height)
        top_left = anchor.mapToGlobal(QPoint(0, 0))
        y = top_left.y() - height - 4
        screen = anchor.screen().availableGeometry()
        if y < screen.top():
            y = top_left.y() + anchor.height() + 4
        x = max(screen.left(), min(top_left.x(), screen.right() - _WIDTH))
        self.move(x, y)
        self.show()
        self.search.setFocus(Qt.FocusReason.PopupFocusReason)

    # -- what the user sees ---------------------------------------------------------------------

    def choices(self) -> list[ChosenModel]:
        """The models listed now (the search applied), in order; the typed name, when no
        server lists it, last."""
        return [c for c in (self._choice(self.list.item(i)) for i in range(self.list.count())) if c]

    def current_choice(self) -> ChosenModel | None:
        item = self.list.currentItem()
        return self._choice(item) if item is not None else None

    def headings(self) -> list[str]:
        """The provider headings shown, with their notes ("fake · offline – cached list")."""
        found = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(_CHOICE) is None and item.data(Qt.ItemDataRole.AccessibleTextRole):
                found.append(str(item.data(Qt.ItemDataRole.AccessibleTextRole)))
        return found

    def _fill(self) -> None:
        terms = self.search.text().lower().split()
        typed = self.search.text().strip()
        self.list.clear()
        matched = False
        for group in self._groups:
            shown = [
                m for m in group.models if all(t in f"{m} {group.provider}".lower() for t in terms)
            ]
            if terms and not shown:
                continue
            self._add_heading(group)
            for model in shown:
                self._add_choice(model, ChosenModel(group.provider, model))
            matched = matched or bool(shown)
            if not group.models and not terms:
                self._add_quiet("No models listed: type a name above")
        known = {m for g in self._groups for m in g.models}
        provider = self._typed_provider()
        if typed and typed not in known and provider is not None:
            # After the hits (Enter takes the first hit), or alone when nothing matches.
            label = f"Use “{typed}”"
            if len(self._groups) > 1:
                label += f" with {provider}"
            self._add_choice(label, ChosenModel(provider, typed), free=True)
        self._select_first()

    def _typed_provider(self) -> str | None:
        if self._current is not None:
            return self._current.provider
        return self._groups[0].provider if self._groups else None

    def _add_heading(self, group: ProviderModels) -> None:
        item = QListWidgetItem()
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        spoken = f"{group.provider} · {group.note}" if group.note else group.provider
        item.setData(Qt.ItemDataRole.AccessibleTextRole, spoken)
        heading = QWidget()
        row = QHBoxLayout(heading)
        row.setContentsMargins(6, 8, 6, 2)
        name = QLabel(group.provider)
        name.setObjectName("ModelMenuHeading")
        name.setFont(scaled_font(name.font(), "small", bold=True))
        row.addWidget(name)
        row.addStretch(1)
        if group.note:
            note = QLabel(group.note)
            note.setObjectName("ModelMenuNote")
            note.setFont(scaled_font(note.font(), "small", bold=False))
            palette = note.palette()
            palette.setColor(
                QPalette.ColorRole.WindowText,
                palette.color(QPalette.ColorRole.PlaceholderText),
            )
            note.setPalette(palette)
            row.addWidget(note)
        self.list.addItem(item)
        item.setSizeHint(heading.sizeHint())
        self.list.setItemWidget(item, heading)

    def _add_choice(self, label: str, choice: ChosenModel, *, free: bool = False) -> None:
        item = QListWidgetItem(label)
        item.setData(_CHOICE, choice)
        checked = not free and choice == self._current
        item.setIcon(icon("check", self.list, QPalette.ColorRole.Text) if checked else _blank())
        if checked:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        item.setToolTip(f"{choice.model} on {choice.provider}")
        self.list.addItem(item)

    def _add_quiet(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.list.addItem(item)

    def _select_first(self) -> None:
        rows = self._choice_rows()
        if not rows:
            return
        # With nothing typed, start at the current model; while searching, at the first hit.
        start = rows[0]
        if not self.search.text().strip() and self._current is not None:
            start = next(
                (r for r in rows if self._choice(self.list.item(r)) == self._current), start
            )
        self.list.setCurrentRow(start)

    def _choice_rows(self) -> list[int]:
        return [i for i in range(self.list.count()) if self._choice(self.list.item(i)) is not None]

    @staticmethod
    def _choice(item: QListWidgetItem | None) -> ChosenModel | None:
        value = item.data(_CHOICE) if item is not None else None
        return value if isinstance(value, ChosenModel) else None

    # -- keys and clicks ------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                self._step(-1 if key == Qt.Key.Key_Up else 1)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._pick(self.current_choice())
                return True
            if key == Qt.Key.Key_Escape:
                self.close()
                return True
        return super().eventFilter(watched, event)

    def _step(self, delta: int) -> None:
        rows = self._choice_rows()
        if not rows:
            return
        row = self.list.currentRow()
        index = rows.index(row) + delta if row in rows else 0
        self.list.setCurrentRow(rows[max(0, min(len(rows) - 1, index))])
        self.list.scrollToItem(self.list.currentItem())

    def _on_list_item_clicked(self, item: QListWidgetItem) -> None:
        self._pick(self._choice(item))

    def _pick(self, choice: ChosenModel | None) -> None:
        if choice is None:
            return
        self.close()
        self.model_chosen.emit(choice)

    def _on_search_text_changed(self, _text: str) -> None:
        self._fill()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.closed.emit()


def _blank() -> QIcon:
    """No check mark, but the same room, so the names line up."""
    pixmap = QPixmap(14, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    return QIcon(pixmap)
