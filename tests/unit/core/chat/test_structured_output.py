"""Structured output: the request body, the checks Settings and the CLI run on a schema, and
the format a conversation keeps (stored, merged, read back)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kibitz.core.chat.request import build_request
from kibitz.core.chat.structured_output import (
    SchemaFileError,
    check_schema_text,
    format_from_file,
    format_name,
    format_problem,
    schema_format,
    wire_name,
)
from kibitz.core.store import Store
from kibitz.core.types import RequestParams

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def test_the_body_carries_the_schema_in_openais_wire_format() -> None:
    chosen = schema_format("Person card", json.dumps(PERSON), strict=True)
    body = build_request([("user", "hi")], RequestParams(model="m", json_schema=chosen))
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Person_card", "schema": PERSON, "strict": True},
    }


def test_a_schema_wins_over_a_json_object_default() -> None:
    defaults = RequestParams(model="m", response_format="json_object")
    chosen = schema_format("p", json.dumps(PERSON), strict=False)
    params = defaults.merged(RequestParams(json_schema=chosen))
    body = build_request([("user", "hi")], params)
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is False
    plain = build_request([("user", "hi")], defaults)
    assert plain["response_format"] == {"type": "json_object"}


def test_the_chosen_format_is_stored_with_the_conversation(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "k.sqlite3")
    try:
        chosen = schema_format("Person", json.dumps(PERSON), strict=True)
        conversation = store.create_conversation("t", params=RequestParams(json_schema=chosen))
        again = store.get_conversation(conversation.id)
        assert again.params.json_schema == chosen
        assert RequestParams.from_mapping(again.params.overridden()) == again.params
        assert format_name(chosen) == "Person"
    finally:
        store.close()


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("Invoice fields", "Invoice_fields"),
        ("a/b:c", "a_b_c"),
        ("«»", "schema"),
        ("x" * 80, "x" * 64),
    ],
)
def test_names_are_made_what_openai_accepts(name: str, wire: str) -> None:
    assert wire_name(name) == wire


def test_a_good_strict_schema_passes_without_warnings() -> None:
    check = check_schema_text(json.dumps(PERSON), strict=True)
    assert check.ok
    assert check.warnings == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The schema is empty: paste a JSON Schema, or load one from a file."),
        (
            '{"type": "object",\n "x": }',
            "This is not valid JSON: Expecting value at line 2, column 7.",
        ),
        ("[1, 2]", "A JSON Schema is a JSON object ({...}), not a list."),
        (
            '{"type": "string"}',
            'The root must be an object schema ("type": "object"): a structured reply is a '
            "JSON object.",
        ),
    ],
)
def test_what_is_not_a_schema_is_refused_with_why(text: str, message: str) -> None:
    assert check_schema_text(text, strict=False).errors == (message,)


def test_an_invalid_json_schema_names_the_place() -> None:
    bad = {"type": "object", "properties": {"age": {"type": "integr"}}}
    (error,) = check_schema_text(json.dumps(bad), strict=False).errors
    assert error.startswith("Not a valid JSON Schema at /properties/age/type: 'integr' is not")


def test_strict_mode_warns_where_openai_would_refuse() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "address": {
                "type": "object",
                "properties": {"street": {"type": "string"}, "zip": {"type": "string"}},
                "required": ["street"],
                "additionalProperties": False,
            },
            "tags": {"type": "array", "items": {"type": "object", "properties": {}}},
        },
        "required": ["address", "tags"],
        "additionalProperties": False,
    }
    check = check_schema_text(json.dumps(schema), strict=True)
    assert check.ok  # warnings never refuse
    assert check.warnings == (
        'At the root: "name" missing from "required" (strict mode needs every property '
        'there; for an optional one allow "null" in its type).',
        'At /properties/address: "zip" missing from "required" (strict mode needs every '
        'property there; for an optional one allow "null" in its type).',
        'At /properties/tags/items: set "additionalProperties": false (strict mode refuses '
        "an object schema without it).",
    )
    assert check_schema_text(json.dumps(schema), strict=False).warnings == ()


def test_a_stored_format_is_checked_before_it_is_sent() -> None:
    assert format_problem(schema_format("p", json.dumps(PERSON), strict=True)) is None
    assert (
        format_problem("{")
        == "it is not valid JSON (Expecting property name enclosed in double quotes)"
    )
    assert format_problem('{"schema": {}}') == 'it should be a JSON object with a "name"'
    assert format_problem('{"name": "a", "schema": 3}') == 'its "schema" should be a JSON object'


def test_a_file_holds_a_schema_or_a_wrapped_one(tmp_path: Path) -> None:
    bare = tmp_path / "person.json"
    bare.write_text(json.dumps(PERSON), encoding="utf-8")
    chosen, warnings = format_from_file(bare)
    assert json.loads(chosen) == {"name": "person", "schema": PERSON, "strict": True}
    assert warnings == ()
    wrapped = tmp_path / "w.json"
    wrapped.write_text(json.dumps({"name": "card", "schema": PERSON, "strict": False}))
    assert json.loads(format_from_file(wrapped)[0])["name"] == "card"
    assert json.loads(format_from_file(wrapped)[0])["strict"] is False


def test_a_bad_file_says_which_and_why(tmp_path: Path) -> None:
    with pytest.raises(SchemaFileError) as caught:
        format_from_file(tmp_path / "missing.json")
    assert caught.value.lines()[0] == (
        f"Cannot read the JSON Schema file {tmp_path / 'missing.json'}: No such file or directory"
    )
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "object",', encoding="utf-8")
    with pytest.raises(SchemaFileError) as caught:
        format_from_file(broken)
    first, hint = caught.value.lines()
    assert first == (
        f"{broken} is not a usable JSON Schema: This is not valid JSON: Expecting property "
        "name enclosed in double quotes at line 1, column 19."
    )
    assert "root must be" in hint
