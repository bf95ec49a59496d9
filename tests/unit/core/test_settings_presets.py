"""System-prompt presets: editing them, the default, the file, and the v1 -> v2 migration."""

from __future__ import annotations

from pathlib import Path

import pytest

from kibitz.core.settings import InvalidSettingError, Settings, load_settings, save_settings
from kibitz.core.settings.presets import (
    Preset,
    default_prompt,
    with_default,
    with_preset,
    without_preset,
)
from kibitz.core.settings.storage import MIGRATED_PRESET


def test_add_rename_default_and_remove() -> None:
    s = with_preset(Settings(), Preset("Terse", "Answer in one line."))
    s = with_default(with_preset(s, Preset("Tutor", "Explain step by step.")), "Tutor")
    assert default_prompt(s) == "Explain step by step."
    # Renaming the default keeps it the default.
    s = with_preset(s, Preset("Teacher", "Explain slowly."), replacing="Tutor")
    assert [p.name for p in s.presets.items] == ["Terse", "Teacher"]
    assert s.presets.default == "Teacher"
    assert default_prompt(s) == "Explain slowly."
    s = without_preset(s, "Teacher")
    assert s.presets.default is None
    assert default_prompt(s) is None


def test_bad_presets_are_refused_with_the_reason() -> None:
    s = with_preset(Settings(), Preset("A", "x"))
    with pytest.raises(InvalidSettingError, match="used twice: A"):
        with_preset(s, Preset("A", "y"), replacing="B")
    with pytest.raises(InvalidSettingError, match="names no preset"):
        with_default(s, "nope")
    with pytest.raises(InvalidSettingError, match=r"presets\.items\.name"):
        Preset("", "text")


def test_presets_survive_the_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    s = with_default(with_preset(Settings(), Preset("Café", 'Say "hi"\nthen stop.')), "Café")
    save_settings(path, s)
    result = load_settings(path)
    assert result.warnings == ()
    assert result.settings == s


def test_a_version_1_prompt_becomes_the_default_preset(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        'schema_version = 1\n[chat]\nsystem_prompt = "Be brief."\nmax_retries = 5\n',
        encoding="utf-8",
    )
    result = load_settings(path)
    assert result.error is None
    assert result.warnings == ()
    assert result.file_version == 1
    assert result.settings.presets.items == (Preset(MIGRATED_PRESET, "Be brief."),)
    assert default_prompt(result.settings) == "Be brief."
    assert result.settings.chat.max_retries == 5
    # Written back as version 2: the prompt lives under presets only.
    save_settings(path, result.settings)
    text = path.read_text(encoding="utf-8")
    assert "schema_version = 2" in text
    assert "system_prompt" not in text
    assert load_settings(path).settings == result.settings


def test_a_version_1_file_without_a_prompt_migrates_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('schema_version = 1\n[chat]\nsystem_prompt = "  "\n', encoding="utf-8")
    result = load_settings(path)
    assert result.warnings == ()
    assert result.settings == Settings()


def test_a_broken_preset_entry_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        'schema_version = 2\n[presets]\ndefault = "gone"\n'
        '[[presets.items]]\ntext = "no name"\n[[presets.items]]\nname = "ok"\ntext = "fine"\n',
        encoding="utf-8",
    )
    result = load_settings(path)
    assert [p.name for p in result.settings.presets.items] == ["ok"]
    assert result.settings.presets.default is None
    assert any("presets.items[0] was skipped" in w for w in result.warnings)
    assert any("names no preset" in w for w in result.warnings)


def test_the_version_1_file_is_kept_before_it_is_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    original = b'schema_version = 1\n[chat]\nsystem_prompt = "Be brief."\n'
    path.write_bytes(original)
    result = load_settings(path)
    assert path.read_bytes() == original  # loading migrates in memory only
    save_settings(path, with_default(result.settings, None))
    assert (tmp_path / "settings.toml.v1").read_bytes() == original
    assert load_settings(path).file_version == 2
    # The first copy is the one kept; saving a version 2 file makes no new copy.
    save_settings(path, result.settings)
    assert (tmp_path / "settings.toml.v1").read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.toml", "settings.toml.v1"]


def test_a_file_from_before_versioning_is_kept_as_version_1(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[ui]\ntheme = "dark"\n', encoding="utf-8")
    save_settings(path, load_settings(path).settings)
    assert (tmp_path / "settings.toml.v1").read_text(encoding="utf-8") == '[ui]\ntheme = "dark"\n'


def test_saving_over_no_file_or_a_current_file_keeps_no_copy(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_settings(path, Settings())
    save_settings(path, with_preset(Settings(), Preset("A", "x")))
    assert [p.name for p in tmp_path.iterdir()] == ["settings.toml"]
