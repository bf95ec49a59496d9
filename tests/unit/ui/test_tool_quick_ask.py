"""Tools in quick ask, as in the window: its composer has the tools button, a call asks with a
card in the panel (summoning the panel again gives the card the keyboard), and Escape on the
card declines the call instead of hiding the panel (the panel's own Esc); Return on the next
card runs it."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from tests.support.fake_openai import FakeOpenAI, Reply, ToolCall
from tests.unit.ui.attachment_window import TEST_KEY, composer_edit, until
from tests.unit.ui.test_tool_calls_window import WAIT, tool_settings

from kibitz.core.secrets import MemorySecretStore, SessionSecretStore
from kibitz.core.store import Store
from kibitz.core.tools import DECLINED_TEXT
from kibitz.core.types import MessageStatus, Role
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.quick_ask import QuickAskWindow
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.tools.service import ToolService
from kibitz.ui.views.tool_approval import ToolApprovalCard


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kibitz.sqlite3") as opened:
        yield opened


def card_of(window: QuickAskWindow) -> ToolApprovalCard | None:
    cards = [c for c in window.chat_view.findChildren(ToolApprovalCard) if c.isVisible()]
    return cards[-1] if cards else None


@pytest.mark.asyncio
async def test_escape_on_the_card_declines_and_the_panel_stays(
    qtbot: QtBot, store: Store, tmp_path: Path
) -> None:
    executor = ThreadPoolExecutor(max_workers=1)
    runner = TaskRunner()
    with FakeOpenAI() as fake:
        holder = SettingsHolder(tool_settings(fake), tmp_path / "settings.toml")
        secrets = SessionSecretStore(MemorySecretStore())
        secrets.set_key("fake", TEST_KEY, remember=False)
        tools = ToolService(holder, secrets, runner)
        window = QuickAskWindow(store, holder, secrets, executor, tools=tools)
        try:
            fake.script(
                Reply(tool_calls=[ToolCall("lookup", {"key": "first"})]),
                Reply(tool_calls=[ToolCall("lookup", {"key": "second"})]),
                Reply(text="Done."),
            )
            window.summon()
            qtbot.waitExposed(window)
            assert window.composer.tools_button.isVisible()
            assert window.composer.tools_button.isChecked()
            edit = composer_edit(window)
            qtbot.keyClicks(edit, "Look two things up")
            qtbot.keyClick(edit, Qt.Key.Key_Return)

            def armed() -> bool:
                card = card_of(window)
                return card is not None and card.armed

            await until(armed, "the first card", WAIT)
            first = card_of(window)
            assert first is not None
            assert first.hasFocus()
            assert window.isActiveWindow()
            qtbot.keyClick(first, Qt.Key.Key_Escape)
            assert window.isVisible(), "Esc answered the card; the panel stays"
            await until(lambda: armed() and card_of(window) is not first, "the second", WAIT)
            second = card_of(window)
            assert second is not None
            window.dismiss()  # the reply goes on while the panel is away
            window.summon()
            assert window.focusWidget() is second, "back to the question that waits"
            qtbot.keyClick(second, Qt.Key.Key_Return)

            def answered() -> bool:
                conversations = store.list_conversations()
                if not conversations or window.chat.busy:
                    return False
                last = store.branch(conversations[0].id)[-1]
                return last.role is Role.ASSISTANT and last.status is not MessageStatus.STREAMING

            await until(answered, "the answer", WAIT)
            declined = [m for m in fake.chat_requests[1].messages if m["role"] == "tool"]
            assert [m["content"] for m in declined] == [DECLINED_TEXT]
            ran = [m for m in fake.chat_requests[2].messages if m["role"] == "tool"]
            assert [m["content"] for m in ran] == [DECLINED_TEXT, "value of second"]
        finally:
            await window.runner.shutdown()
            await runner.shutdown()
            await window.chat.aclose()
            await tools.aclose()
            window.close()
            window.deleteLater()
            executor.shutdown(wait=True)
