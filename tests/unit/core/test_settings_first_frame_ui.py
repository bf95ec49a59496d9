"""The snapshot of the [ui] values the first frame needs: read back only for the version of the
settings file it was taken from, and only when it holds values of the right kinds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kibitz.core.settings import Settings, save_settings
from kibitz.core.settings.first_frame_ui import FirstFrameUi, read_snapshot, write_snapshot

VALUES = FirstFrameUi("dark", 14, "ctrl+enter")


def test_it_reads_back_what_was_kept_for_the_same_file(tmp_path: Path) -> None:
    path, snapshot = tmp_path / "settings.toml", tmp_path / "cache" / "ui.json"
    save_settings(path, Settings())
    write_snapshot(snapshot, path, VALUES)
    assert read_snapshot(snapshot, path) == VALUES
    assert list(snapshot.parent.iterdir()) == [snapshot]  # no partial file left


def test_it_holds_for_a_missing_settings_file_while_it_stays_missing(tmp_path: Path) -> None:
    path, snapshot = tmp_path / "settings.toml", tmp_path / "ui.json"
    write_snapshot(snapshot, path, VALUES)
    assert read_snapshot(snapshot, path) == VALUES
    save_settings(path, Settings())
    assert read_snapshot(snapshot, path) is None


def test_a_changed_file_makes_it_stale(tmp_path: Path) -> None:
    path, snapshot = tmp_path / "settings.toml", tmp_path / "ui.json"
    save_settings(path, Settings())
    write_snapshot(snapshot, path, VALUES)
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))  # edited, same size
    assert read_snapshot(snapshot, path) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[]",
        '{"settings": null}',
        '{"settings": null, "ui": {"theme": 1, "font_size": null, "send_key": "enter"}}',
        '{"settings": null, "ui": {"theme": "dark", "font_size": "14", "send_key": "enter"}}',
        '{"settings": null, "ui": {"theme": "dark", "font_size": true, "send_key": "enter"}}',
        '{"settings": null, "ui": {"theme": "dark", "font_size": -3, "send_key": "enter"}}',
        '{"settings": null, "ui": {"theme": "dark", "font_size": null}}',
    ],
)
def test_anything_else_in_it_is_not_used(tmp_path: Path, text: str) -> None:
    snapshot = tmp_path / "ui.json"
    snapshot.write_text(text, encoding="utf-8")
    assert read_snapshot(snapshot, tmp_path / "settings.toml") is None


def test_a_snapshot_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("", encoding="utf-8")
    write_snapshot(blocked / "ui.json", tmp_path / "settings.toml", VALUES)  # logged only
    assert read_snapshot(blocked / "ui.json", tmp_path / "settings.toml") is None


def test_it_is_small_json(tmp_path: Path) -> None:
    snapshot = tmp_path / "ui.json"
    write_snapshot(snapshot, tmp_path / "settings.toml", VALUES)
    assert json.loads(snapshot.read_text("utf-8")) == {
        "settings": None,
        "ui": {"theme": "dark", "font_size": 14, "send_key": "ctrl+enter"},
    }
