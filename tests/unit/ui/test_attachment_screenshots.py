"""Screenshots of attachments, light and dark, for review: the composer with an image chip and
a file chip, a conversation with images and a file, and the image viewer.

Saved to $KIBITZ_TEST_SCREENSHOTS (tests/run.sh sets it to tests/artifacts/screenshots) as
attachments-{composer,conversation,viewer}-{light,dark}.png; the test also checks what they
show (thumbnails loaded, the chips' words), never pixels.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageColor, ImageDraw
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from tests.support import attachment_files as files
from tests.unit.ui.attachment_window import composer_edit, fake_settings, window_on

from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.store import Store
from kibitz.core.types import FilePart, ImagePart, Part, Role, TextPart, Usage
from kibitz.ui.style import apply_theme
from kibitz.ui.views.image_viewer import ImageViewer

WAIT_MS = 10_000


def scene(width: int, height: int, sky: tuple[str, str], land: str, sun: str) -> bytes:
    """A landscape (sky, sun, two rows of hills, water) as a JPEG: a photo-like picture."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    top, bottom = ImageColor.getrgb(sky[0]), ImageColor.getrgb(sky[1])
    for y in range(height):
        t = y / height
        colour = tuple(round(top[i] + (bottom[i] - top[i]) * t) for i in range(3))
        draw.line([(0, y), (width, y)], colour)
    r = height // 9
    draw.ellipse((width * 0.68 - r, height * 0.3 - r, width * 0.68 + r, height * 0.3 + r), sun)
    far = [(0, height * 0.62), (width * 0.2, height * 0.48), (width * 0.45, height * 0.6)]
    far += [(width * 0.7, height * 0.45), (width, height * 0.58), (width, height), (0, height)]
    draw.polygon(far, fill=land)
    near = [(0, height * 0.75), (width * 0.35, height * 0.64), (width * 0.6, height * 0.76)]
    near += [(width, height * 0.7), (width, height), (0, height)]
    shade = tuple(max(0, c - 40) for c in ImageColor.getrgb(land)[:3])
    draw.polygon(near, fill=shade)
    draw.rectangle((0, height * 0.86, width, height), fill=top)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


SUNSET = scene(1600, 1066, ("#f4a261", "#e76f51"), "#3d405b", "#ffe8a3")
LAKE = scene(900, 1200, ("#8ecae6", "#d6f0fa"), "#2a9d8f", "#fffbe0")
DUNES = scene(1200, 800, ("#ffd6a5", "#fdffb6"), "#bc6c25", "#ffffff")


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


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return resolve_paths(tmp_path / "home").ensure()


def shots(tmp_path: Path) -> Path:
    folder = os.environ.get("KIBITZ_TEST_SCREENSHOTS")
    target = Path(folder) if folder else tmp_path / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target


def save(qtbot: QtBot, widget: QWidget, path: Path) -> None:
    qtbot.wait(120)  # a last repaint after the thumbnails arrived
    assert widget.grab().toImage().save(str(path))
    assert path.stat().st_size > 10_000


def image_part(store: Store, data: bytes, name: str, width: int, height: int) -> ImagePart:
    return ImagePart(store.put_blob(data), name, "image/jpeg", len(data), width, height)


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_screenshots_of_attachments(
    qtbot: QtBot, store: Store, paths: AppPaths, tmp_path: Path, scheme: str
) -> None:
    folder = shots(tmp_path)
    itinerary = files.text_pdf("Day 1: Lisbon. Day 2: Sintra. Day 3: the coast.")
    conversation = store.create_conversation("Holiday photos")
    question_parts: list[Part] = [
        TextPart("Which photo should be the album's cover? The itinerary has the places."),
        image_part(store, SUNSET, "sunset-cabo-da-roca.jpg", 1600, 1066),
        image_part(store, LAKE, "lagoa-azul.jpg", 900, 1200),
        image_part(store, DUNES, "dunes.jpg", 1200, 800),
        FilePart(
            store.put_blob(itinerary),
            "Portugal itinerary.pdf",
            "application/pdf",
            len(itinerary),
            "Day 1: Lisbon.",
        ),
    ]
    question = store.add_message(conversation.id, None, Role.USER, question_parts)
    reply = store.add_message(
        conversation.id,
        question.id,
        Role.ASSISTANT,
        "**The sunset at Cabo da Roca.** It is the only one in landscape with a clear subject "
        "(the sun on the horizon), its warm colours print well, and it is the westernmost "
        "point of the trip, which makes a good opening for an album that follows the "
        "itinerary day by day.\n\nKeep *Lagoa Azul* for the back cover: portrait photos "
        "suit it better.",
        model="gpt-4o",
        usage=Usage(1_304, 96, 1_400),
    )
    follow = store.add_message(
        conversation.id,
        reply.id,
        Role.USER,
        [image_part(store, LAKE, "lagoa-azul-edited.jpg", 900, 1200)],
    )
    del follow

    with window_on(qtbot, store, paths, fake_settings(None)) as window:
        # The composer of a new chat with an image chip and a file chip.
        photo = tmp_path / "market-in-alfama.jpg"
        photo.write_bytes(SUNSET)
        budget = tmp_path / "Trip budget.csv"
        budget.write_text("item,eur\nflights,420\nhotel,610\nfood,250\n", encoding="utf-8")
        window.chat.intake.add_paths([photo, budget])
        qtbot.keyClicks(composer_edit(window), "Can you check the budget against this photo?")
        qtbot.waitUntil(lambda: len(window.composer.attachments) == 2, timeout=WAIT_MS)
        image_chip, file_chip = window.composer.chips()
        qtbot.waitUntil(lambda: image_chip.thumbnail is not None, timeout=WAIT_MS)
        assert file_chip.details == f"CSV · {budget.stat().st_size} bytes"
        save(qtbot, window, folder / f"attachments-composer-{scheme}.png")

        # The conversation: images as thumbnails, the file as a chip.
        window.chat.open_conversation(conversation.id)
        window.chat_view.scroll_area.verticalScrollBar().setValue(0)
        shown = [
            thumb
            for widget in window.chat_view.message_widgets()
            if widget.attachments_view is not None
            for thumb in widget.attachments_view.images()
        ]
        assert len(shown) == 4
        qtbot.waitUntil(lambda: all(t.loaded for t in shown[:3]), timeout=WAIT_MS)
        first = window.chat_view.message_widgets()[0].attachments_view
        assert first is not None
        assert [c.name for c in first.file_chips()] == ["Portugal itinerary.pdf"]
        save(qtbot, window, folder / f"attachments-conversation-{scheme}.png")

        # The viewer, fitted to its window.
        opened: list[ImageViewer] = []
        window.chat.opener.viewer_opened.connect(opened.append)
        qtbot.mouseClick(shown[0], Qt.MouseButton.LeftButton)
        (viewer,) = opened
        viewer.resize(960, 700)
        qtbot.waitExposed(viewer)
        qtbot.waitUntil(lambda: viewer.image is not None, timeout=WAIT_MS)
        assert viewer.fitting
        save(qtbot, viewer, folder / f"attachments-viewer-{scheme}.png")
        viewer.close()
