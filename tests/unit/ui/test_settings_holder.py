"""The app's settings holder made before its first frame: the [ui] section at once, the rest on
load(), which tells of the file's problems and announces a [ui] that differs from the early one."""

from __future__ import annotations

from pathlib import Path

from kibitz.core.settings import Settings, save_settings
from kibitz.core.settings.first_frame_ui import FirstFrameUi, read_snapshot, write_snapshot
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


# -- the snapshot of what the first frame needs (kibitz.core.settings.first_frame_ui) ----------


def test_the_next_start_takes_the_first_frame_values_from_the_snapshot(tmp_path: Path) -> None:
    path, snapshot = tmp_path / "settings.toml", tmp_path / "cache" / "first-frame-ui.json"
    save_settings(path, Settings().with_value("ui.theme", "dark").with_value("ui.font_size", 15))
    first = SettingsHolder(None, path, snapshot=snapshot)
    assert first.first_frame == FirstFrameUi("dark", 15, "enter")  # read with [ui]
    first.load()
    assert read_snapshot(snapshot, path) == FirstFrameUi("dark", 15, "enter")

    # What the snapshot says is what the next start uses, as long as the file is unchanged:
    # told apart here by a snapshot that differs from the file it was taken from.
    write_snapshot(snapshot, path, FirstFrameUi("light", None, "ctrl+enter"))
    second = SettingsHolder(None, path, snapshot=snapshot)
    changes: list[Settings] = []
    second.changed.connect(changes.append)
    assert second.first_frame == FirstFrameUi("light", None, "ctrl+enter")
    second.load()  # the file decides, and the difference is applied as a change
    assert [(s.ui.theme, s.ui.font_size) for s in changes] == [("dark", 15)]
    assert second.first_frame == FirstFrameUi("dark", 15, "enter")
    assert read_snapshot(snapshot, path) == FirstFrameUi("dark", 15, "enter")


def test_a_snapshot_of_another_version_of_the_file_is_not_used(tmp_path: Path) -> None:
    path, snapshot = tmp_path / "settings.toml", tmp_path / "first-frame-ui.json"
    save_settings(path, Settings().with_value("ui.theme", "dark"))
    SettingsHolder(None, path, snapshot=snapshot).load()
    save_settings(path, Settings().with_value("ui.theme", "light").with_value("ui.font_size", 9))

    holder = SettingsHolder(None, path, snapshot=snapshot)

    assert holder.first_frame == FirstFrameUi("light", 9, "enter")  # read from the file
    assert read_snapshot(snapshot, path) is None  # stale until the next load keeps a new one
    holder.load()
    assert read_snapshot(snapshot, path) == FirstFrameUi("light", 9, "enter")


def test_a_settings_change_keeps_a_new_snapshot(tmp_path: Path) -> None:
    path, snapshot = tmp_path / "settings.toml", tmp_path / "first-frame-ui.json"
    holder = SettingsHolder(None, path, snapshot=snapshot)
    holder.load()
    assert read_snapshot(snapshot, path) == FirstFrameUi("system", None, "enter")

    assert holder.update(holder().with_value("ui.send_key", "ctrl+enter")) is None

    assert read_snapshot(snapshot, path) == FirstFrameUi("system", None, "ctrl+enter")
    assert SettingsHolder(None, path, snapshot=snapshot).first_frame.send_key == "ctrl+enter"
