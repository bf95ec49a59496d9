"""The icon set: every bundled Lucide SVG draws, in the palette's colour, sharp at the device
pixel ratio, re-tinted when the palette turns dark; the licence is beside them; every icon name
the code asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kibitz.ui.icons import (
    IconButton,
    available,
    icon_draws,
    icon_in,
    icons_folder,
    keep_drawn_icons,
)
from kibitz.ui.style import dark_palette

APP = Path(__file__).resolve().parents[3] / "app" / "kibitz"
# IconButton("name", ...), icon("name", ...), icon_in("name", ...), set_icon_name("name")
NAME_IN_CODE = re.compile(
    r'(?:IconButton|icon|icon_in|set_icon_name|icon_draws)\(\s*"([a-z0-9-]+)"'
)


def _inked(icon: QIcon, side: int = 32) -> list[QColor]:
    """The opaque pixels of `icon` drawn at `side` px."""
    image = icon.pixmap(QSize(side, side)).toImage()
    return [
        image.pixelColor(x, y)
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() > 200
    ]


def test_every_bundled_icon_draws_in_the_colour_asked(qapp: QApplication) -> None:
    names = available()
    assert len(names) >= 40
    red = QColor(220, 20, 30)
    for name in names:
        inked = _inked(icon_in(name, red))
        assert inked, f"{name} drew nothing"
        assert all(abs(c.red() - 220) < 40 and c.green() < 80 for c in inked), name


def test_the_licence_is_beside_the_icons() -> None:
    licence = (icons_folder() / "LICENSE").read_text("utf-8")
    assert "Lucide" in licence
    assert "ISC License" in licence


def test_every_icon_the_code_names_is_bundled() -> None:
    named = {
        match
        for path in APP.rglob("*.py")
        for match in NAME_IN_CODE.findall(path.read_text("utf-8"))
    }
    assert len(named) >= 10
    assert sorted(named - set(available())) == []


def test_an_icon_is_drawn_at_the_device_pixel_ratio(qapp: QApplication) -> None:
    engine_icon = icon_in("copy", QColor("black"))
    sharp = engine_icon.pixmap(QSize(16, 16), 2.0)
    assert sharp.devicePixelRatio() == 2.0
    assert sharp.width() == 32
    assert icon_draws("copy")


def test_an_icon_button_takes_the_dark_palette_colour(qtbot: QtBot) -> None:
    button = IconButton("trash-2", "Delete")
    qtbot.addWidget(button)
    light = _inked(button.icon())
    button.setPalette(dark_palette())
    dark = _inked(button.icon())
    assert light
    assert dark
    assert sum(c.lightness() for c in dark) / len(dark) > 150  # light strokes on dark
    assert sum(c.lightness() for c in light) / len(light) < 100
    assert button.toolTip() == button.accessibleName() == "Delete"
    button.setPalette(QPalette())


def test_icons_drawn_are_kept_and_a_later_one_is_drawn_from_them(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kibitz.ui.icons._Kept.folder", None)  # restored after the test
    keep_drawn_icons(tmp_path / "icons")
    red = QColor(220, 20, 30)
    assert _inked(icon_in("copy", red))
    (kept,) = (tmp_path / "icons").iterdir()
    assert kept.name.startswith("copy-")
    assert kept.name.endswith("-dc141e-32x32.png")

    # What is drawn next comes from the kept file: told apart here by filling it with blue.
    blue = QImage(32, 32, QImage.Format.Format_ARGB32)
    blue.fill(QColor(0, 0, 255))
    assert blue.save(str(kept), "PNG")
    painted = _inked(icon_in("copy", red))
    assert painted
    assert all(c.blue() == 255 and c.red() == 0 for c in painted)
    # Another colour or size is another file, drawn from the SVG.
    assert all(c.red() > 180 for c in _inked(icon_in("copy", red), side=24))
    assert len(list((tmp_path / "icons").iterdir())) == 2


def test_keeping_an_icon_of_a_changed_svg_removes_the_older_files(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kibitz.ui.icons._Kept.folder", None)  # restored after the test
    folder = tmp_path / "icons"
    folder.mkdir()
    older = [folder / f"copy-0badc0de-dc141e-{side}x{side}.png" for side in (24, 32)]
    alike = folder / "copy-all-0badc0de-dc141e-32x32.png"  # another icon, its name alike
    for path in [*older, alike]:
        path.write_bytes(b"a picture")
    keep_drawn_icons(folder)
    assert _inked(icon_in("copy", QColor(220, 20, 30)))
    names = sorted(p.name for p in folder.iterdir())
    assert alike.name in names
    assert not any(p.name in names for p in older)
    (current,) = [n for n in names if n.startswith("copy-") and not n.startswith("copy-all-")]
    assert current.endswith("-dc141e-32x32.png")
    # A second colour of the current SVG stays beside the first.
    assert _inked(icon_in("copy", QColor(20, 20, 220)))
    assert current in {p.name for p in folder.iterdir()}


def test_an_icon_painted_directly_is_the_same_picture(qapp: QApplication) -> None:
    """QIcon.paint (a line edit's action draws so) goes through the same pixmap."""
    image = QImage(40, 40, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    icon_in("search", QColor(220, 20, 30)).paint(painter, QRect(4, 4, 32, 32))
    painter.end()
    inked = [
        image.pixelColor(x, y)
        for x in range(40)
        for y in range(40)
        if image.pixelColor(x, y).alpha() > 200
    ]
    assert inked
    assert all(abs(c.red() - 220) < 40 for c in inked)
    assert image.pixelColor(1, 1).alpha() == 0  # inside the rectangle only
