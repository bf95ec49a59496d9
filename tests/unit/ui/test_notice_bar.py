"""The notice bar at the bottom of the window: one notice at a time, its action, its Undo
shortcut, and no widgets of its own until the first notice (the first frame has none)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from kibitz.ui.notify import UNDO, Notice, NoticeBar


def _bar(qtbot: QtBot) -> tuple[QWidget, NoticeBar]:
    window = QWidget()
    bar = NoticeBar(window)
    qtbot.addWidget(window)
    window.show()
    return window, bar


def test_the_bar_makes_its_widgets_with_the_first_notice(qtbot: QtBot) -> None:
    _, bar = _bar(qtbot)
    assert (bar.findChildren(QLabel), bar.findChildren(QPushButton)) == ([], [])
    assert (bar.isHidden(), bar.current) == (True, None)

    bar.show_notice(Notice("Renamed “Trip”."))

    assert bar.isVisible()
    assert [label.text() for label in bar.findChildren(QLabel)] == ["Renamed “Trip”."]
    assert [b.accessibleName() for b in bar.findChildren(QToolButton)] == ["Dismiss notification"]


def test_a_newer_notice_replaces_the_one_shown_and_its_action_runs(qtbot: QtBot) -> None:
    _, bar = _bar(qtbot)
    ran: list[str] = []
    bar.show_notice(Notice("First."))
    bar.show_notice(Notice("Deleted “Trip”.", UNDO, on_action=lambda: ran.append("undo")))
    action = next(
        b for b in bar.findChildren(QPushButton) if b.accessibleName() == "Notification action"
    )
    assert [label.text() for label in bar.findChildren(QLabel)] == ["Deleted “Trip”."]
    assert action.text() == UNDO
    assert "Ctrl+Z" in action.toolTip()

    qtbot.mouseClick(action, Qt.MouseButton.LeftButton)

    assert ran == ["undo"]
    assert bar.isHidden()


def test_ctrl_z_undoes_only_while_an_undo_notice_shows(qtbot: QtBot) -> None:
    window, bar = _bar(qtbot)
    ran: list[str] = []
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=10_000)  # shortcuts need it
    bar.show_notice(Notice("Deleted “Trip”.", UNDO, on_action=lambda: ran.append("undo")))
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert ran == ["undo"]

    bar.show_notice(Notice("Saved."))
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert ran == ["undo"]
