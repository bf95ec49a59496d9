"""The quick-ask panel's frame and growth: a border and a soft shadow set it apart from the
window behind it (light and dark), and when an answer grows it the panel keeps its top-left
and grows downward, inside the screen (on a real X server, under Openbox when it is
installed: tests/end2end/test_quick_ask_growth.py).

Screenshots: quick-ask-over-window-{light,dark}.png, the panel over a plain window of text.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.unit.ui.attachment_window import TEST_KEY, fake_settings, until

from kibitz.core.secrets import MemorySecretStore, SessionSecretStore
from kibitz.core.store import Store
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.panel_frame import border_colour
from kibitz.ui.quick_ask import QuickAskWindow
from kibitz.ui.style import apply_theme

BEHIND = (
    "Quarterly notes\n\nThe window the user was working in when they pressed the hotkey: "
    "plain text on a plain background, the case where a panel without a frame or shadow "
    "melted into it.\n\n" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 30
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kibitz.sqlite3") as opened:
        yield opened


@asynccontextmanager
async def panel(
    qtbot: QtBot, store: Store, fake: FakeOpenAI, tmp_path: Path
) -> AsyncIterator[QuickAskWindow]:
    """The panel talking to the fake server; its reply task and HTTP client closed after."""
    executor = ThreadPoolExecutor(max_workers=1)
    secrets = SessionSecretStore(MemorySecretStore())
    secrets.set_key("fake", TEST_KEY, remember=False)
    holder = SettingsHolder(fake_settings(fake), tmp_path / "settings.toml")
    window = QuickAskWindow(store, holder, secrets, executor)
    qtbot.addWidget(window)
    try:
        yield window
    finally:
        await window.runner.shutdown()
        await window.chat.aclose()
        window.hide()
        executor.shutdown(wait=True)


@pytest.fixture
def scheme(request: pytest.FixtureRequest) -> Iterator[str]:
    """The app's theme as the app applies it (palette and stylesheet), restored after."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    palette, sheet = QPalette(app.palette()), app.styleSheet()
    apply_theme(app, str(request.param))
    yield str(request.param)
    app.styleHints().unsetColorScheme()
    app.setStyleSheet(sheet)
    app.setPalette(palette)


def shots(tmp_path: Path) -> Path:
    folder = os.environ.get("KIBITZ_TEST_SCREENSHOTS")
    target = Path(folder) if folder else tmp_path / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target


def available(quick: QuickAskWindow) -> QRect:
    screen = quick.screen()
    assert screen is not None
    return screen.availableGeometry()


async def ask_a_long_question(quick: QuickAskWindow, fake: FakeOpenAI) -> list[QRect]:
    """Ask, stream a long answer; the panel's geometry as it was at each step of the way."""
    fake.script(Reply(words=900, chars_per_sec=40_000))
    quick.composer.set_text("Tell me everything about frames")
    quick.composer.send_requested.emit(quick.composer.text)  # what Enter does
    seen = [quick.geometry()]
    await until(lambda: quick.chat.busy, "the reply to start")
    while quick.chat.busy:
        seen.append(quick.geometry())
        await asyncio.sleep(0.02)
    seen.append(quick.geometry())
    return seen


@pytest.mark.asyncio
async def test_the_answer_grows_the_panel_downward_from_where_it_opened(
    qtbot: QtBot, store: Store, fake: FakeOpenAI, tmp_path: Path
) -> None:
    async with panel(qtbot, store, fake, tmp_path) as quick:
        await _grows_downward(qtbot, quick, fake)


async def _grows_downward(qtbot: QtBot, quick: QuickAskWindow, fake: FakeOpenAI) -> None:
    quick.summon()
    qtbot.waitExposed(quick)
    opened = quick.geometry()
    area = available(quick)
    assert area.contains(opened)
    seen = await ask_a_long_question(quick, fake)
    assert not quick.chat_view.isHidden()
    grown = seen[-1]
    assert grown.height() > opened.height()
    for geometry in seen:
        assert geometry.topLeft() == opened.topLeft(), (opened, geometry)
        assert area.contains(geometry), (area, geometry)


def distance(a: QColor, b: QColor) -> int:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())


@pytest.mark.asyncio
@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
async def test_a_border_and_a_shadow_set_it_apart_from_the_window_behind(
    qtbot: QtBot, store: Store, fake: FakeOpenAI, scheme: str, tmp_path: Path
) -> None:
    async with panel(qtbot, store, fake, tmp_path) as quick:
        await _framed(qtbot, quick, fake, scheme, tmp_path)


async def _framed(
    qtbot: QtBot, quick: QuickAskWindow, fake: FakeOpenAI, scheme: str, tmp_path: Path
) -> None:
    behind = QWidget()
    behind.setWindowTitle("Notes")
    text = QLabel(BEHIND)
    text.setWordWrap(True)
    text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    QVBoxLayout(behind).addWidget(text)
    qtbot.addWidget(behind)
    behind.resize(960, 720)
    behind.show()
    qtbot.waitExposed(behind)
    quick.summon()
    qtbot.waitExposed(quick)
    await ask_a_long_question(quick, fake)
    await asyncio.sleep(0.15)  # a last repaint

    # What the screen shows: the window behind, the panel over it (its shadow see-through).
    scene = behind.grab().toImage().convertToFormat(QImage.Format.Format_ARGB32)
    panel = quick.grab().toImage()
    at = QPoint((scene.width() - panel.width()) // 2, (scene.height() - panel.height()) // 2)
    painter = QPainter(scene)
    painter.drawImage(at, panel)
    painter.end()
    assert scene.save(str(shots(tmp_path) / f"quick-ask-over-window-{scheme}.png"))

    margin = quick.frame.margin
    assert margin > 0  # see-through here (offscreen renders alpha): the shadow has room
    palette = quick.palette()
    middle = panel.height() // 2
    # The border: the palette's mid colour, one pixel wide, on every side.
    border = border_colour(palette)
    for x, y in ((margin, middle), (panel.width() - margin - 1, middle)):
        assert distance(panel.pixelColor(x, y), border) < 24, (x, y, panel.pixelColor(x, y))
    inside = panel.pixelColor(margin + 6, margin + 40)
    assert distance(inside, border) > 20
    # Around the panel: transparent far out, a soft shadow close in (darker below than the
    # window behind shows on its own).
    assert panel.pixelColor(0, 0).alpha() == 0
    below = panel.pixelColor(panel.width() // 2, panel.height() - margin + 3)
    assert 0 < below.alpha() < 120
    bare = scene.pixelColor(4, scene.height() - 4)
    shaded = scene.pixelColor(at.x() + panel.width() // 2, at.y() + panel.height() - margin + 3)
    assert shaded.lightness() < bare.lightness()
