"""Screenshots of the composer's bar and of the model menu open over it, light and dark.

Saved to $KIBITZ_TEST_SCREENSHOTS as composer-bar-{light,dark}.png and
model-picker-open-{light,dark}.png; the test also checks what they show.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from tests.support.screenshots import shots_dir

from kibitz.ui.style import apply_style, dark_palette
from kibitz.ui.views.composer import Composer, ToolsButtonState
from kibitz.ui.views.model_menu import ChosenModel, ModelMenu, ProviderModels


@pytest.fixture
def scheme(request: pytest.FixtureRequest) -> Iterator[str]:
    """The application's palette and stylesheet for the scheme, as the app sets them."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before, sheet = QPalette(app.palette()), app.styleSheet()
    if request.param == "dark":
        app.setPalette(dark_palette())
    apply_style(app)
    yield str(request.param)
    app.setPalette(before)
    app.setStyleSheet(sheet)


def _composer(qtbot: QtBot) -> tuple[QWidget, Composer]:
    page = QWidget()
    page.setObjectName("ChatPane")
    page.setAutoFillBackground(True)
    page.setBackgroundRole(QPalette.ColorRole.Base)
    qtbot.addWidget(page)
    composer = Composer(page)
    composer.setGeometry(20, 380, 720, 110)
    composer.set_tools_state(ToolsButtonState(True, True, "7 tools", "Tools on"))
    composer.set_model("o3-mini", "work")
    composer.set_reasoning_effort("medium", shown=True)
    composer.set_text("What changed in the release notes since 2.3?")
    page.resize(760, 500)
    page.show()
    qtbot.waitExposed(page)
    return page, composer


def _distinct_colours(image: QImage, rect: QRect) -> int:
    return len({image.pixelColor(x, y).rgb() for x in range(rect.left(), rect.right(), 2)
                for y in range(rect.top(), rect.bottom(), 2)})  # fmt: skip


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_screenshots_of_the_composer_bar_and_the_open_model_menu(
    qtbot: QtBot, tmp_path: Path, scheme: str
) -> None:
    shots = shots_dir(tmp_path)
    page, composer = _composer(qtbot)
    bar = composer.grab()
    path = shots / f"composer-bar-{scheme}.png"
    assert bar.save(str(path))
    image = bar.toImage()
    # The round Send button is filled with the accent colour, its arrow drawn on it.
    send = composer.findChild(QWidget, "SendButton")
    assert send is not None
    centre = send.mapTo(composer, send.rect().center())
    accent = composer.palette().color(QPalette.ColorRole.Highlight)
    edge = image.pixelColor(centre + QPoint(-send.width() // 2 + 6, 0))
    assert _close(edge, accent), (edge.name(), accent.name())
    assert composer.model_button.isVisible()
    assert composer.model_text == "o3-mini · work"
    assert composer.reasoning_button.text() == "Medium"
    # The bar's buttons all sit on the row under the text.
    buttons = [
        composer.findChild(QWidget, n) for n in ("AttachButton", "ToolsButton", "ModelButton")
    ]
    edit = composer.findChild(QWidget, "ComposerEdit")
    assert edit is not None
    for button in buttons:
        assert button is not None
        assert button.mapTo(composer, QPoint(0, 0)).y() > edit.mapTo(composer, QPoint(0, 0)).y()

    menu = ModelMenu(composer)
    menu.set_groups(
        [
            ProviderModels("work", ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3-mini", "o4-mini")),
            ProviderModels("local", ("llama3.2:3b", "qwen3:8b"), "offline – cached list"),
        ],
        ChosenModel("work", "o3-mini"),
    )
    menu.popup_at(composer.model_button)
    qtbot.waitExposed(menu)
    qtbot.wait(50)
    # The popup is a window of its own: draw the page and the menu where they are on screen.
    shot = page.grab().toImage()
    at = page.mapFromGlobal(menu.mapToGlobal(QPoint(0, 0)))
    painter = QPainter(shot)
    painter.drawPixmap(at, menu.grab())
    painter.end()
    path = shots / f"model-picker-open-{scheme}.png"
    assert shot.save(str(path))
    assert path.stat().st_size > 10_000
    assert menu.headings() == ["work", "local · offline – cached list"]
    assert menu.current_choice() == ChosenModel("work", "o3-mini")
    # Above the model button, inside the page, and drawn (not one flat colour).
    assert (
        at.y() + menu.height()
        <= page.mapFromGlobal(composer.model_button.mapToGlobal(QPoint(0, 0))).y()
    )
    assert at.y() >= 0
    assert _distinct_colours(shot, QRect(at, menu.size())) > 20
    if scheme == "dark":
        assert (
            menu.grab().toImage().pixelColor(menu.width() // 2, menu.height() - 8).lightness() < 90
        )
    menu.close()


def _close(a: QColor, b: QColor) -> bool:
    return all(abs(x - y) < 24 for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))
