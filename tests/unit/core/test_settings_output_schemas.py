"""Named JSON Schemas in the settings file: saved and read back, a broken one told about
without losing the others, and no JSON Schema library loaded to read them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kibitz.core.settings import InvalidSettingError, Settings, load_settings, save_settings
from kibitz.core.settings.schemas import OutputSchema, chosen_format, with_schema, without_schema

CITY = '{"type": "object", "properties": {"city": {"type": "string"}}}'


def test_schemas_are_saved_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    settings = with_schema(Settings(), OutputSchema("City", CITY))
    settings = with_schema(settings, OutputSchema("Loose", CITY, strict=False))
    save_settings(path, settings)
    loaded = load_settings(path)
    assert loaded.warnings == ()
    assert loaded.settings.schemas == settings.schemas
    renamed = with_schema(settings, OutputSchema("Town", CITY), replacing="City")
    assert [s.name for s in renamed.schemas.items] == ["Town", "Loose"]
    assert [s.name for s in without_schema(renamed, "Town").schemas.items] == ["Loose"]


def test_a_broken_schema_in_the_file_is_told_and_the_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        "schema_version = 2\n"
        "[[schemas.items]]\nname = \"Bad\"\nschema = '[1, 2]'\n"
        f"[[schemas.items]]\nname = \"City\"\nschema = '{CITY}'\n",
        encoding="utf-8",
    )
    loaded = load_settings(path)
    assert [s.name for s in loaded.settings.schemas.items] == ["Bad", "City"]
    assert loaded.warnings == (
        "Invalid value for setting schemas.items[0].schema: A JSON Schema is a JSON object "
        "({...}), not a list. (expected text); the default is used instead",
    )


def test_names_are_unique_and_the_root_must_be_an_object() -> None:
    settings = with_schema(Settings(), OutputSchema("City", CITY))
    with pytest.raises(InvalidSettingError, match="used twice: City"):
        with_schema(settings, OutputSchema("City", CITY), replacing="Other")
    with pytest.raises(InvalidSettingError, match=r'root must be an object schema \("type"'):
        OutputSchema("Text", '{"type": "string"}')


def test_the_chosen_format_uses_the_wire_name() -> None:
    assert chosen_format(OutputSchema("My city", CITY)).startswith('{"name":"My_city","schema":')


def test_reading_settings_loads_no_json_schema_library(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_settings(path, with_schema(Settings(), OutputSchema("City", CITY)))
    code = (
        "import sys; from pathlib import Path; from kibitz.core.settings import load_settings; "
        f"assert load_settings(Path({str(path)!r})).settings.schemas.items; "
        "print('jsonschema' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
