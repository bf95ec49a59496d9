"""A conversation's "Structured output": the default, none, any JSON object or one of the
named schemas; the conversation keeps its own copy of a schema, and the next request sends it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kibitz.core.chat.request import build_request
from kibitz.core.paths import resolve_paths
from kibitz.core.secrets import MemorySecretStore, SessionSecretStore
from kibitz.core.settings import Settings
from kibitz.core.settings.overrides import effective_params
from kibitz.core.settings.schemas import OutputSchema, with_schema, without_schema
from kibitz.core.store import Store
from kibitz.core.types import RequestParams
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.conversation_page import ConversationSettingsDialog
from kibitz.ui.tasks import TaskRunner

CITY = (
    '{"type": "object", "properties": {"city": {"type": "string"}}, '
    '"required": ["city"], "additionalProperties": false}'
)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[SettingsHolder, Store, SettingsContext]]:
    paths = resolve_paths(tmp_path / "home").ensure()
    settings = with_schema(Settings(), OutputSchema("City", CITY))
    holder = SettingsHolder(settings, paths.settings_file)
    executor = ThreadPoolExecutor(max_workers=1)
    secrets = SessionSecretStore(MemorySecretStore())
    context = SettingsContext(holder, secrets, TaskRunner(), executor, paths, lambda _n: None)
    with Store.open(paths.database) as store:
        yield holder, store, context
    executor.shutdown(wait=True)


def _choose(dialog: ConversationSettingsDialog, text: str) -> None:
    index = dialog.structured.findText(text)
    assert index >= 0, [dialog.structured.itemText(i) for i in range(dialog.structured.count())]
    dialog.structured.setCurrentIndex(index)
    dialog.structured.activated.emit(index)


def test_a_schema_is_chosen_kept_and_sent(
    rig: tuple[SettingsHolder, Store, SettingsContext], qtbot: QtBot
) -> None:
    holder, store, context = rig
    conversation = store.create_conversation("Trip")
    dialog = ConversationSettingsDialog(context, store, conversation.id)
    qtbot.addWidget(dialog)
    items = [dialog.structured.itemText(i) for i in range(dialog.structured.count())]
    assert items == [
        "Default: None",
        "None",
        "JSON object",
        "Schema: City",
    ]
    assert dialog.structured.currentText() == "Default: None"

    _choose(dialog, "Schema: City")
    params = store.get_conversation(conversation.id).params
    assert json.loads(params.json_schema or "") == {
        "name": "City",
        "schema": json.loads(CITY),
        "strict": True,
    }
    assert dialog.summary.text() == "Overrides: Structured output"
    sent = build_request(
        [("user", "Where?")], effective_params(holder(), store.get_conversation(conversation.id))
    )
    assert sent["response_format"]["type"] == "json_schema"

    # The schema leaves Settings: the conversation still has (and shows) its own copy.
    context.apply(without_schema(holder(), "City"))
    assert dialog.structured.currentText() == "Schema: City (this conversation's copy)"
    assert store.get_conversation(conversation.id).params.json_schema == params.json_schema

    _choose(dialog, "JSON object")
    assert store.get_conversation(conversation.id).params == RequestParams(
        response_format="json_object"
    )
    dialog._structured_reset.click()
    assert store.get_conversation(conversation.id).params == RequestParams()
    assert dialog.summary.text() == "Follows the defaults."
