"""The request inspector in the window: the next request before it goes, each sent request of a
reply as the server received it, Copy as cURL that works, and no key anywhere it shows or copies.
Real widgets, store and clipboard; the fake server over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from kibitz.core.chat.exchange import Exchange
from kibitz.core.settings import Settings
from kibitz.core.store import Store
from kibitz.ui.views.request_view import NextRequestView, RequestsView
from tests.integration.chat_support import TEST_KEY
from tests.integration.test_chat_controller import Pane
from tests.support.fake_openai import FakeOpenAI, Fault, Reply


@pytest.fixture
def pane(
    tmp_path: Path, qtbot: QtBot, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Pane]:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.url)
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    # No automatic titles: only the replies' requests reach the server.
    settings = Settings().with_value("chat.auto_title", False)
    with Store.open(tmp_path / "kibitz.sqlite3") as store:
        yield Pane(store, qtbot, settings)


def _clipboard() -> str:
    return QGuiApplication.clipboard().text()


@pytest.mark.asyncio
async def test_next_request_is_what_send_then_sends(
    pane: Pane, fake_openai: FakeOpenAI, qtbot: QtBot
) -> None:
    pane.composer.set_text("what is 2+2?")
    dialog = pane.controller.inspect_next_request()
    assert dialog is not None
    qtbot.addWidget(dialog)
    [view] = dialog.findChildren(NextRequestView)
    assert fake_openai.chat_requests == []  # looking sends nothing
    view.copy_body.click()
    previewed = json.loads(_clipboard())
    assert view.facts.values["Trimming"].startswith("nothing left out")
    assert "(default)" in view.facts.values["model"]

    pane.controller.send("what is 2+2?")
    await pane.until_idle()

    [sent] = fake_openai.chat_requests
    assert sent.body == previewed
    await pane.close()


@pytest.mark.asyncio
async def test_each_request_of_a_reply_is_shown_as_received_and_copies_as_working_curl(
    pane: Pane, fake_openai: FakeOpenAI, qtbot: QtBot
) -> None:
    fake_openai.script(Fault.rate_limit(retry_after_ms=20), Reply(text="made it"))
    pane.controller.send("hello")
    await pane.until_idle(timeout=20)
    conversation_id = pane.controller.conversation_id
    assert conversation_id is not None
    _question, reply = pane.store.branch(conversation_id)
    assert reply.content == "made it"

    pane.controller.inspect(reply.id)
    inspector = pane.controller.inspector
    assert inspector is not None
    qtbot.addWidget(inspector)
    requests = inspector.requests
    assert isinstance(requests, RequestsView)
    received = [r.raw for r in fake_openai.chat_requests]
    assert len(received) == 2
    # The last request shows first; both are kept, as the server received them.
    assert requests.current.body.encode() == received[1]
    assert requests.facts.values["Status"] == "200"
    assert "49999975 of 50000000 tokens" in requests.facts.values["Rate limit left"]
    stored = [Exchange.from_json(e.record).body.encode() for e in pane.store.exchanges(reply.id)]
    assert stored == received
    shown = requests.body.toPlainText() + requests.headers.toPlainText()
    shown += "".join(requests.facts.values.values())
    assert TEST_KEY not in shown

    requests.copy_curl.click()
    command = _clipboard()
    assert TEST_KEY not in command
    assert "$OPENAI_API_KEY" in command
    done = subprocess.run(
        ["bash", "-c", command],
        env={**os.environ, "OPENAI_API_KEY": TEST_KEY},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert fake_openai.chat_requests[-1].raw == received[1]
    await pane.close()


@pytest.mark.asyncio
async def test_a_reply_whose_request_was_trimmed_says_so_under_it(
    pane: Pane, fake_openai: FakeOpenAI, qtbot: QtBot
) -> None:
    pane.settings = (
        pane.settings.with_value("defaults.model", "local-model")
        .with_value("chat.unknown_context_window", 400)
        .with_value("chat.context_reserve_tokens", 100)
    )
    for n in range(4):
        pane.controller.send(f"question {n} " + "word " * 60)
        await pane.until_idle()
    conversation_id = pane.controller.conversation_id
    assert conversation_id is not None
    replies = [m for m in pane.store.branch(conversation_id) if m.role.value == "assistant"]
    first, last = pane.view.message_widget(replies[0].id), pane.view.message_widget(replies[-1].id)
    assert first is not None
    assert last is not None
    assert "left out" not in first.footer_text()  # the first question fitted
    assert "oldest messages left out to fit 400 tokens" in last.footer_text()
    # The trimmed request as recorded is what the server received.
    [kept] = pane.store.exchanges(replies[-1].id)
    assert kept.record["body"].encode() == fake_openai.chat_requests[-1].raw
    assert kept.record["note"]["dropped_messages"] > 0

    pane.view.show_conversation(None)  # read again from the store, as on opening it later
    pane.view.show_conversation(conversation_id)
    again = pane.view.message_widget(replies[-1].id)
    assert again is not None
    assert "oldest messages left out to fit 400 tokens" in again.footer_text()
    await pane.close()
