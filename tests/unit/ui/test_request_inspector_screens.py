"""Screenshots of the request inspector, light and dark, for review: a reply's request (after a
rate-limited first try) and the next request with its parameters' sources.

Saved to $KIBITZ_TEST_SCREENSHOTS as request-inspector-{light,dark}.png and
next-request-{light,dark}.png; the test also checks what they say.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from tests.support.fake_openai import FakeOpenAI, Fault, Reply
from tests.support.screenshots import shots_dir

from kibitz.core.conversation.engine import ConversationEngine, turn_options
from kibitz.core.conversation.preview import preview_request
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings import ProviderProfile, Settings
from kibitz.core.store import Store
from kibitz.core.types import RequestParams
from kibitz.ui.views.message_inspector import MessageInspector
from kibitz.ui.views.request_view import NextRequestView

KEY = "sk-screens-0123456789abcdefghij"


def _engine(store: Store, fake: FakeOpenAI) -> ConversationEngine:
    settings = (
        Settings()
        .with_value("defaults.model", "gpt-4o-mini")
        .with_value("defaults.temperature", 0.7)
        .with_value("chat.auto_title", False)
        .with_profile(ProviderProfile("work", kind="custom", base_url=fake.url))  # type: ignore[arg-type]
        .with_value("providers.active", "work")
    )
    secrets = MemorySecretStore()
    secrets.set_key("work", KEY)
    return ConversationEngine(store, lambda: settings, secrets, env={})


async def _ask(engine: ConversationEngine, text: str) -> None:
    conversation = engine.store.create_conversation("Primes")
    turn = engine.send(conversation.id, text, overrides=RequestParams(seed=7))
    try:
        async for _ in turn.run():
            pass
    finally:
        await engine.aclose()


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_screenshots_of_a_replys_requests_and_the_next_request(
    qtbot: QtBot, store: Store, fake: FakeOpenAI, tmp_path: Path, scheme: str
) -> None:
    shots = shots_dir(tmp_path)
    engine = _engine(store, fake)
    fake.script(
        Fault.rate_limit(retry_after_ms=10),
        Reply(text="2, 3, 5, 7, 11, 13, 17, 19, 23 and 29.", delay=0.01),
    )
    asyncio.run(_ask(engine, "List the first ten primes."))
    [conversation] = store.list_conversations()
    _question, reply = store.branch(conversation.id)

    inspector = MessageInspector(reply, "work", exchanges=store.exchanges(reply.id))
    qtbot.addWidget(inspector)
    inspector.show()
    qtbot.waitExposed(inspector)
    assert inspector.tabs is not None
    inspector.tabs.setCurrentIndex(1)
    requests = inspector.requests
    assert requests is not None
    assert requests.facts.values["Status"] == "200"
    assert "9999 of 10000 requests" in requests.facts.values["Rate limit left"]
    assert '"seed": 7' in requests.body.toPlainText()
    assert inspector.grab().toImage().save(str(shots / f"request-inspector-{scheme}.png"))

    preview = preview_request(
        engine,
        "And the next ten?",
        conversation_id=conversation.id,
        options=turn_options(engine.settings),
    )
    view = NextRequestView(preview)
    qtbot.addWidget(view)
    view.resize(640, 560)
    view.show()
    qtbot.waitExposed(view)
    assert view.facts.values["temperature"] == "0.7  (default)"
    assert "seed" not in view.facts.values  # given for that one request, not kept
    assert view.facts.values["context window"] == "128,000 tokens  (model limit)"
    assert KEY not in view.body.toPlainText()
    assert view.grab().toImage().save(str(shots / f"next-request-{scheme}.png"))
