"""The first frame's palette kept from the last start: used only while it was made for the same
theme and desktop, corrected (and kept again) once the start is complete, never trusted when
the file is damaged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from kibitz.ui.kept_palette import apply_kept_palette, confirm_palette
from kibitz.ui.style import apply_palette, made_palette

WINDOW = QPalette.ColorRole.Window


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    """The application, its palette and colour scheme restored afterwards."""
    before = QPalette(qapp.palette())
    yield qapp
    qapp.styleHints().unsetColorScheme()
    qapp.setPalette(before)


@pytest.fixture
def kept(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "first-frame-palette.json"


def test_a_start_without_one_makes_it_and_the_next_start_uses_it(
    app: QApplication, kept: Path
) -> None:
    assert not apply_kept_palette(app, "system", kept)
    apply_palette(app, "system")  # what the start does then
    confirm_palette(app, "system", kept)
    assert kept.is_file()
    written = kept.stat().st_mtime_ns

    app.setPalette(QPalette(QColor("#123456")))  # anything else, as a new process would have
    assert apply_kept_palette(app, "system", kept)
    assert app.palette() == made_palette(app, "system")
    confirm_palette(app, "system", kept)
    assert kept.stat().st_mtime_ns == written  # unchanged: not written again


def test_one_made_for_another_theme_is_not_used(app: QApplication, kept: Path) -> None:
    apply_palette(app, "system")
    confirm_palette(app, "system", kept)
    app.setPalette(QPalette(QColor("#123456")))
    assert not apply_kept_palette(app, "dark", kept)
    assert app.palette().color(WINDOW) == QColor("#123456")  # left for apply_palette


def test_an_out_of_date_one_is_corrected_and_kept_again_once_the_start_is_complete(
    app: QApplication, kept: Path
) -> None:
    apply_palette(app, "system")
    confirm_palette(app, "system", kept)
    stale = json.loads(kept.read_text(encoding="utf-8"))
    for group in stale["colours"]:
        group["Window"] = [0, 65535, 0, 65535]  # the desktop's theme changed since
    kept.write_text(json.dumps(stale), encoding="utf-8")

    assert apply_kept_palette(app, "system", kept)
    assert app.palette().color(WINDOW) == QColor("#00ff00")  # the first frame uses it
    confirm_palette(app, "system", kept)
    assert app.palette() == made_palette(app, "system")
    assert app.palette().color(WINDOW) != QColor("#00ff00")
    again = json.loads(kept.read_text(encoding="utf-8"))
    assert again["colours"][0]["Window"] != [0, 65535, 0, 65535]


@pytest.mark.parametrize(
    "content",
    ["", "{", "[]", '{"stamp": 1}', '{"stamp": null, "colours": []}', "\x00\xff"],
)
def test_a_damaged_file_is_not_used(app: QApplication, kept: Path, content: str) -> None:
    apply_palette(app, "system")
    confirm_palette(app, "system", kept)
    good = json.loads(kept.read_text(encoding="utf-8"))
    kept.write_text(content, encoding="utf-8")
    assert not apply_kept_palette(app, "system", kept)
    # With the right stamp but colours that are not colours, or roles that do not exist.
    for colours in (
        [{"Window": "#ffffffff"}] * 3,
        [{"Window": [1, 2, 3]}] * 3,
        [{"Window": [1.5, 2, 3, 4]}] * 3,
        [{"Window": [0, 0, 0, 70000]}] * 3,
        [{"Window": ["0", 0, 0, 0]}] * 3,
        [{"NoSuchRole": [0, 0, 0, 65535]}] * 3,
        [{}, {}, {}],
        [{**group, "Window": [0, 0, 0, 65535]} for group in good["colours"][:2]],
        [{k: v for k, v in group.items() if k != "Window"} for group in good["colours"]],
    ):
        kept.write_text(json.dumps({**good, "colours": colours}), encoding="utf-8")
        assert not apply_kept_palette(app, "system", kept)
    confirm_palette(app, "system", kept)  # and the start writes a good one again
    assert json.loads(kept.read_text(encoding="utf-8")) == good
