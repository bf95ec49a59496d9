"""CompareMenu: the models to compare, ticked in a menu grouped by provider (two to four).

Ticking a model keeps the menu open, so several are picked in one visit (Space or Enter on a
row, or a click); Esc closes it. Once four are ticked the others are greyed out. "Compare off"
ends Compare mode, leaving the picks for next time.

Opened from a question's "Compare again…", it also offers to ask that question again of the
ticked models (their replies join its versions), once two or more are ticked.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QMenu, QWidget

from kibitz.ui.views.model_menu import ChosenModel, ProviderModels


class CompareMenu(QMenu):
    picked_changed = Signal(list)  # list[ChosenModel], in the order ticked
    turned_off = Signal()
    again_requested = Signal()  # ask the question the menu was opened for (set_again)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareMenu")
        self.setAccessibleName("Models to compare")
        self._picked: list[ChosenModel] = []
        self._groups: list[ProviderModels] = []
        self._most = 4
        self._again: str | None = None  # the question "Compare again" names, when offered

    @property
    def picked(self) -> list[ChosenModel]:
        return list(self._picked)

    def set_groups(
        self, groups: Sequence[ProviderModels], picked: Sequence[ChosenModel], most: int
    ) -> None:
        self._groups = list(groups)
        self._picked = list(picked)[:most]
        self._most = most
        self._fill()

    def set_again(self, question: str | None) -> None:
        """Offer to ask `question` again of the ticked models (None: not offered)."""
        self._again = question
        self._fill()

    @property
    def again_action(self) -> QAction | None:
        return next((a for a in self.actions() if a.objectName() == "compareAgain"), None)

    def update_group(self, group: ProviderModels) -> None:
        """A provider's list as its server gave it (the menu may be open)."""
        known = [g.provider for g in self._groups]
        if group.provider not in known:
            return
        self._groups[known.index(group.provider)] = group
        self._fill()

    def model_actions(self) -> list[QAction]:
        return [a for a in self.actions() if isinstance(a.data(), ChosenModel)]

    def _fill(self) -> None:
        active = self.activeAction()
        active_choice = active.data() if active is not None else None
        self.clear()
        title = self.addAction(f"Pick 2 to {self._most} models to compare")
        title.setEnabled(False)
        full = len(self._picked) >= self._most
        listed = {p for g in self._groups for p in (ChosenModel(g.provider, m) for m in g.models)}
        several = len(self._groups) > 1
        for group in self._groups:
            if several:
                self.addSection(group.provider + (f" ({group.note})" if group.note else ""))
            models = list(group.models)
            # A pick the list does not (yet) hold still shows, so it can be unticked.
            models += [p.model for p in self._picked if p.provider == group.provider and
                       p not in listed]  # fmt: skip
            for model in models:
                choice = ChosenModel(group.provider, model)
                action = self.addAction(model)
                action.setCheckable(True)
                action.setData(choice)
                ticked = choice in self._picked
                action.setChecked(ticked)
                action.setEnabled(ticked or not full)
                if choice == active_choice:
                    self.setActiveAction(action)
        self.addSeparator()
        if self._again is not None:
            count = len(self._picked)
            again = self.addAction(
                f"Compare again: ask {count} models “{self._again}”"
                if count >= 2
                else "Compare again: tick two or more models"
            )
            again.setObjectName("compareAgain")
            again.setEnabled(count >= 2)
            again.triggered.connect(self.again_requested)
        off = self.addAction("Compare off")
        off.setObjectName("compareOff")
        off.triggered.connect(self.turned_off)

    def _toggle(self, action: QAction) -> None:
        choice = action.data()
        if not isinstance(choice, ChosenModel) or not action.isEnabled():
            return
        if choice in self._picked:
            self._picked.remove(choice)
        else:
            self._picked.append(choice)
        self._fill()
        self.picked_changed.emit(list(self._picked))

    def popup_over(self, anchor: QWidget) -> None:
        """Open just above `anchor` (the composer sits at the bottom of the window)."""
        height = self.sizeHint().height()
        self.popup_at(anchor.mapToGlobal(QPoint(0, -height)))

    def popup_at(self, point: QPoint) -> None:
        self.popup(point)
        self.setFocus()

    # A ticked row keeps the menu open, unlike QMenu's own behaviour.
    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        action = self.actionAt(event.position().toPoint())
        if action is not None and isinstance(action.data(), ChosenModel):
            self._toggle(action)
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        action = self.activeAction()
        keys = (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if event.key() in keys and action is not None and isinstance(action.data(), ChosenModel):
            self._toggle(action)
            return
        super().keyPressEvent(event)
