"""A conversation's settings on a store that refuses writes: the user is told what to do, with
Retry, and typed text is not lost (tests/support/store_faults.py makes the failures)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from tests.support.main_window import shown_window
from tests.support.store_faults import READ_ONLY, TOLD, read_only

from kibitz.core.paths import resolve_paths
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, RequestParams, Role
from kibitz.ui.main_window import MainWindow
from kibitz.ui.notify import Notice
from kibitz.ui.settings.conversation_page import ConversationSettingsDialog
from kibitz.ui.settings.field_editor import NumberBox

TOLD_USER = (
    f"Could not save this conversation's settings. {TOLD[READ_ONLY][0]}: "
    f"{READ_ONLY}. {TOLD[READ_ONLY][1]}"
)


@pytest.fixture
def window(tmp_path: Path, qtbot: QtBot) -> Iterator[MainWindow]:
    paths = resolve_paths(tmp_path / "home").ensure()
    with Store.open(paths.database) as store:
        conversation = store.create_conversation("Plans")
        store.add_message(conversation.id, None, Role.USER, "hello")
        with shown_window(qtbot, store, paths) as main:
            main.chat.open_conversation(ConversationId(conversation.id))
            yield main


def conversation_dialog(window: MainWindow) -> ConversationSettingsDialog:
    window.open_conversation_settings()
    [dialog] = window.findChildren(ConversationSettingsDialog)
    return dialog


def told(window: MainWindow) -> Notice:
    notice = window.notices.current
    assert notice is not None
    assert window.notices.isVisible()
    assert notice.kind == "error"
    return notice


def test_a_refused_override_is_told_and_retried(window: MainWindow) -> None:
    dialog = conversation_dialog(window)
    store = window._store
    cid = dialog.conversation_id
    box = dialog.editors["temperature"].input_widget()
    assert isinstance(box, NumberBox)
    temperature = box.edit
    with read_only(store):
        temperature.setText("0.3")
        temperature.editingFinished.emit()
        notice = told(window)
        assert (notice.text, notice.action_text) == (TOLD_USER, "Retry")
        assert store.get_conversation(cid).params == RequestParams()
    assert notice.on_action is not None
    notice.on_action()
    assert store.get_conversation(cid).params == RequestParams(temperature=0.3)
    assert dialog.summary.text() == "Overrides: Temperature"


def test_a_prompt_that_cannot_be_stored_keeps_its_window_open(
    window: MainWindow, qtbot: QtBot
) -> None:
    dialog = conversation_dialog(window)
    store = window._store
    cid = dialog.conversation_id
    with read_only(store):
        dialog.prompt.setPlainText("Answer in French.")
        dialog.close()
        assert dialog.isVisible()  # closing would lose the typed prompt
        assert dialog.prompt.toPlainText() == "Answer in French."
        assert told(window).text == TOLD_USER
        assert store.get_conversation(cid).system_prompt is None
    dialog.close()
    assert not dialog.isVisible()
    assert store.get_conversation(cid).system_prompt == "Answer in French."
