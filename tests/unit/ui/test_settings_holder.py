"""The app's settings holder made before its first frame: the [ui] section at once, the rest on
load(), which tells of the file's problems and announces a [ui] that differs from the early one."""

from __future__ import annotations

from pathlib import Path

from kibitz.core.settings import Settings, save_settings
from kibitz.ui.app_settings import SettingsHolder


def test_the_ui_section_is_there_before_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_settings(path, Settings().with_value("ui.theme", "dark").with_value("ui.font_size", 14))
    holder = SettingsHolder(None, path)
    changes: list[Settings] = []
    holder.changed.connect(changes.append)

    assert (holder.ui.theme, holder.ui.font_size) == ("dark", 14)
    loaded = holder.load()

    assert loaded is not None
    assert (loaded.error, loaded.warnings) == (None, ())
    assert holder().ui.theme == "dark"
    assert changes == []  # the [ui] read early was right: nothing to apply again
    assert holder.load() is None  # read once


def test_asking_for_the_settings_reads_them_if_load_was_not_called(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_settings(path, Settings().with_value("defaults.model", "gpt-4.1-mini"))
    holder = SettingsHolder(None, path)

    assert holder().defaults.model == "gpt-4.1-mini"
    assert holder.load() is None


def test_problems_are_returned_by_load_for_the_window_to_tell(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[ui]\ntheme = "dark"\n[chat]\nnot_a_setting = 1\n', encoding="utf-8")
    holder = SettingsHolder(None, path)

    loaded = holder.load()

    assert loaded is not None
    assert any("chat.not_a_setting" in w for w in loaded.warnings), loaded.warnings
    assert holder.ui.theme == "dark"


def test_a_ui_section_the_full_load_reads_differently_is_announced(tmp_path: Path) -> None:
    """An old file's [ui] is migrated by the full load only: the early read took defaults."""
    path = tmp_path / "settings.toml"
    save_settings(path, Settings().with_value("ui.theme", "light"))
    holder = SettingsHolder(None, path)
    save_settings(path, Settings().with_value("ui.theme", "dark"))  # changed in between
    changes: list[Settings] = []
    holder.changed.connect(changes.append)

    assert holder.ui.theme == "light"
    holder.load()

    assert [s.ui.theme for s in changes] == ["dark"]
    assert holder.ui.theme == "dark"


def test_an_update_before_load_is_kept_and_saved(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    holder = SettingsHolder(None, path)

    error = holder.update(Settings().with_value("ui.send_key", "ctrl+enter"))

    assert error is None
    assert holder.ui.send_key == "ctrl+enter"
    assert holder.load() is None  # what update() set is what holds
    assert SettingsHolder(None, path).ui.send_key == "ctrl+enter"
