"""The composer as a user types into it: Enter, Shift+Enter, Esc, Up, the Send/Stop button."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit, QPushButton
from pytestqt.qtbot import QtBot

from kibitz.ui.views.composer import Composer


def _parts(composer: Composer) -> tuple[QPlainTextEdit, QPushButton]:
    edit = composer.findChild(QPlainTextEdit, "ComposerEdit")
    button = composer.findChild(QPushButton, "SendButton")
    assert edit is not None
    assert button is not None
    return edit, button


def _composer(qtbot: QtBot) -> Composer:
    composer = Composer()
    qtbot.addWidget(composer)
    composer.show()
    return composer


def test_enter_sends_and_shift_enter_breaks_the_line(qtbot: QtBot) -> None:
    composer = _composer(qtbot)
    edit, _ = _parts(composer)
    sent: list[str] = []
    composer.send_requested.connect(sent.append)
    qtbot.keyClicks(edit, "first line")
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(edit, "second line")
    assert sent == []
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert sent == ["first line\nsecond line"]
    # The text stays until the controller has stored it and clears the composer.
    assert composer.text == "first line\nsecond line"


def test_ctrl_enter_mode(qtbot: QtBot) -> None:
    composer = _composer(qtbot)
    composer.set_ctrl_enter_sends(True)
    edit, _ = _parts(composer)
    sent: list[str] = []
    composer.send_requested.connect(sent.append)
    qtbot.keyClicks(edit, "a")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClicks(edit, "b")
    assert sent == []
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert sent == ["a\nb"]


def test_blank_text_is_not_sent(qtbot: QtBot) -> None:
    composer = _composer(qtbot)
    edit, button = _parts(composer)
    sent: list[str] = []
    composer.send_requested.connect(sent.append)
    assert not button.isEnabled()
    qtbot.keyClicks(edit, "   ")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert sent == []


def test_while_busy_the_button_stops_and_esc_stops(qtbot: QtBot) -> None:
    composer = _composer(qtbot)
    edit, button = _parts(composer)
    stops: list[bool] = []
    sent: list[str] = []
    composer.stop_requested.connect(lambda: stops.append(True))
    composer.send_requested.connect(sent.append)
    composer.set_busy(True)
    assert button.accessibleName() == "Stop reply"
    assert button.isEnabled()
    qtbot.keyClicks(edit, "next question")
    qtbot.keyClick(edit, Qt.Key.Key_Return)  # typed ahead, not sent while replying
    assert sent == []
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert stops == [True, True]
    composer.set_busy(False)
    assert button.accessibleName() == "Send message"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert sent == ["next question"]


def test_up_in_an_empty_composer_asks_to_edit_the_last_message(qtbot: QtBot) -> None:
    composer = _composer(qtbot)
    edit, _ = _parts(composer)
    asked: list[bool] = []
    composer.edit_last_requested.connect(lambda: asked.append(True))
    qtbot.keyClick(edit, Qt.Key.Key_Up)
    assert asked == [True]
    qtbot.keyClicks(edit, "x")
    qtbot.keyClick(edit, Qt.Key.Key_Up)
    assert asked == [True]


def test_the_field_grows_with_its_text(qtbot: QtBot) -> None:
    composer = _composer(qtbot)
    edit, _ = _parts(composer)
    one_line = edit.height()
    composer.set_text("\n".join(["line"] * 5))
    assert edit.height() > one_line * 2
    composer.set_text("\n".join(["line"] * 50))
    capped = edit.height()
    composer.set_text("\n".join(["line"] * 80))
    assert edit.height() == capped
