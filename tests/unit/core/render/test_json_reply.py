"""A reply that is all JSON is found (bare or in one fence) and pretty-printed; others are not."""

from __future__ import annotations

import pytest

from kibitz.core.render.json_reply import json_reply


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "b": [true, null]}',
        '  \n{"a":1,"b":[true,null]}\n',
        '```json\n{"a": 1, "b": [true, null]}\n```',
        '```\n{"a": 1, "b": [true, null]}\n```',
    ],
)
def test_json_replies_are_pretty_printed(text: str) -> None:
    found = json_reply(text)
    assert found is not None
    assert found.pretty == '{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ]\n}'
    assert found.markdown == f"```json\n{found.pretty}\n```"


@pytest.mark.parametrize(
    "text",
    [
        'Here it is: {"a": 1}',
        '{"a": 1} and more',
        "42",
        '"just a string"',
        '{"a": 1, "a": 2}',  # a repeated key would be lost by pretty-printing
        '```json\n{"a": 1}\n```\n\n```json\n{"b": 2}\n```',
        '```python\n{"a": 1}\n```',
        "{not json}",
        "",
    ],
)
def test_other_replies_are_left_as_written(text: str) -> None:
    assert json_reply(text) is None


def test_unicode_is_kept_as_is() -> None:
    found = json_reply('{"city": "Zürich"}')
    assert found is not None
    assert "Zürich" in found.pretty
