"""A conversation's structured-output schema travels with it through export and import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kibitz.core.chat.structured_output import schema_format
from kibitz.core.store import Store
from kibitz.core.transfer import ImportFileError, export_json_file, import_file
from kibitz.core.types import RequestParams, Role

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}


def _exported(store: Store, tmp_path: Path) -> Path:
    chosen = schema_format("Place", json.dumps(SCHEMA), strict=True)
    conversation = store.create_conversation("Where", params=RequestParams(json_schema=chosen))
    store.add_message(conversation.id, None, Role.USER, "Where is it?")
    path = tmp_path / "out.json"
    export_json_file(store, [store.get_conversation(conversation.id)], path)
    return path


def test_the_schema_is_exported_and_imported(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    path = _exported(store, tmp_path)
    (cid,) = import_file(other_store, path).imported
    params = other_store.get_conversation(cid).params
    assert json.loads(params.json_schema or "") == {
        "name": "Place",
        "schema": SCHEMA,
        "strict": True,
    }


def test_a_schema_that_cannot_be_sent_is_refused(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    path = _exported(store, tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["conversations"][0]["params"]["json_schema"] = '{"name": "Place"}'
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ImportFileError) as caught:
        import_file(other_store, path)
    assert (
        caught.value.problem == '“json_schema” cannot be sent: its "schema" should be a JSON object'
    )
    assert other_store.list_conversations() == []
