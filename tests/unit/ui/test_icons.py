"""The icon set: every bundled Lucide SVG draws, in the palette's colour, sharp at the device
pixel ratio, re-tinted when the palette turns dark; the licence is beside them; every icon name
the code asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kibitz.ui.icons import IconButton, available, icon_draws, icon_in, icons_folder
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
