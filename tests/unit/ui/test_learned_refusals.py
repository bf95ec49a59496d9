"""Settings → Providers lists what a profile's models refused (learned by the chat engine from
the server's 400), and Forget there makes the running engine send the parameter again."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from tests.support.fake_openai import FakeOpenAI, Fault, Reply

from kibitz.core.conversation.engine import ConversationEngine
from kibitz.core.paths import AppPaths
from kibitz.core.secrets import MemorySecretStore, SessionSecretStore
from kibitz.core.settings import ProviderProfile, Settings
from kibitz.core.store import Store
from kibitz.core.types import RequestParams
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.notify import Notice
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.dialog import SettingsDialog
from kibitz.ui.settings.learned_refusals import NONE_YET
from kibitz.ui.tasks import TaskRunner

KEY = "sk-test-refusals-0123456789abcdef"
REFUSED = {
    "error": {
        "message": "Unsupported parameter: 'temperature' is not supported with this model.",
        "type": "invalid_request_error",
        "param": "temperature",
        "code": "unsupported_parameter",
    }
}


def _settings(fake: FakeOpenAI) -> Settings:
    return (
        Settings()
        .with_profile(ProviderProfile("work", kind="custom", base_url=fake.url))
        .with_value("providers.active", "work")
    )


async def _ask(engine: ConversationEngine) -> None:
    conversation = engine.store.create_conversation(
        "c", params=RequestParams(model="o3-mini", temperature=0.3)
    )
    try:
        async for _ in engine.send(conversation.id, "Think.").run():
            pass
    finally:
        await engine.aclose()


@pytest.mark.asyncio
async def test_the_providers_page_lists_a_refusal_and_forget_sends_it_again(
    qtbot: QtBot, store: Store, paths: AppPaths, fake: FakeOpenAI, tmp_path: Path
) -> None:
    settings = _settings(fake)
    secrets = MemorySecretStore()
    secrets.set_key("work", KEY)
    engine = ConversationEngine(store, lambda: settings, secrets, env={})
    fake.script(Fault.http(400, REFUSED), Reply(text="ok"))
    await _ask(engine)
    assert "temperature" not in fake.chat_requests[-1].body

    executor = ThreadPoolExecutor(max_workers=1)
    holder = SettingsHolder(settings, paths.settings_file)
    notices: list[Notice] = []
    context = SettingsContext(
        holder, SessionSecretStore(secrets), TaskRunner(), executor, paths, notices.append
    )
    dialog = SettingsDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    refusals = dialog.providers.refusals
    [line] = refusals.lines()
    assert line.startswith("o3-mini: temperature left out (refused ")
    [forget] = refusals.forget_buttons
    forget.click()
    assert refusals.lines() == []
    qtbot.waitUntil(lambda: NONE_YET in [label.text() for label in refusals.findChildren(QLabel)])

    # The engine that learned it reads the book again: temperature goes out again.
    fake.script(Reply(text="with it"))
    await _ask(engine)
    assert fake.chat_requests[-1].body["temperature"] == 0.3
    dialog.close()
    await context.runner.shutdown()
    executor.shutdown(wait=True)


@pytest.mark.asyncio
async def test_check_model_on_the_providers_page_lists_what_the_model_refused(
    qtbot: QtBot, paths: AppPaths, fake: FakeOpenAI
) -> None:
    settings = _settings(fake).with_value("defaults.model", "local-7b")
    secrets = MemorySecretStore()
    secrets.set_key("work", KEY)
    fake.no_tool_models = {"local-7b": "ollama"}
    executor = ThreadPoolExecutor(max_workers=1)
    holder = SettingsHolder(settings, paths.settings_file)
    context = SettingsContext(
        holder, SessionSecretStore(secrets), TaskRunner(), executor, paths, [].append
    )
    dialog = SettingsDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    page = dialog.providers

    page.check_button.click()  # the default model, as the field's placeholder says

    # The check runs as a task on the event loop: wait by yielding to it.
    deadline = asyncio.get_running_loop().time() + 30
    while not page.check_button.isEnabled():
        assert asyncio.get_running_loop().time() < deadline, "the check never ended"
        await asyncio.sleep(0.02)
    assert page.check_model.text() == "local-7b"
    assert page.result.text().startswith("local-7b refuses tools (left out from now on)")
    assert page.refusals.lines() == [page.refusals.lines()[0]]
    assert page.refusals.lines()[0].startswith("local-7b: tools left out")
    assert all(r.body["model"] == "local-7b" for r in fake.chat_requests)
    dialog.close()
    await context.runner.shutdown()
    executor.shutdown(wait=True)
