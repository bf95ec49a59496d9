"""Opening a message's attachments: an image in the viewer (fitted, zoomed with keys and
Ctrl+wheel, saved as its original bytes, closed with Esc), a file in the system's default
application from a private copy (a URL handler for file: stands in for the desktop)."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QPoint, QPointF, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QWheelEvent
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot
from tests.support import attachment_files as files
from tests.unit.ui.attachment_window import fake_settings, window_on

from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, FilePart, ImagePart, Role, TextPart
from kibitz.ui.main_window import MainWindow
from kibitz.ui.views.image_viewer import ZOOM_STEP, ImageViewer
from kibitz.ui.views.message_attachments import MessageAttachments

WAIT_MS = 10_000
PHOTO = files.photo(2400, 1600)
REPORT = b"%PDF-1.4 not really, but bytes to copy\n"


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return resolve_paths(tmp_path / "home").ensure()


@pytest.fixture
def window(qtbot: QtBot, store: Store, paths: AppPaths) -> Iterator[MainWindow]:
    with window_on(qtbot, store, paths, fake_settings(None)) as main:
        yield main


def conversation_with_attachments(store: Store) -> ConversationId:
    conversation = store.create_conversation("Holiday")
    parts = [
        TextPart("The photo and the booking"),
        ImagePart(store.put_blob(PHOTO), "harbour.jpg", "image/jpeg", len(PHOTO), 2400, 1600),
        FilePart(store.put_blob(REPORT), "booking.pdf", "application/pdf", len(REPORT), "x"),
    ]
    question = store.add_message(conversation.id, None, Role.USER, parts)
    store.add_message(conversation.id, question.id, Role.ASSISTANT, "Lovely.")
    return conversation.id


def attachments_of(window: MainWindow) -> MessageAttachments:
    widget = window.chat_view.message_widgets()[0]
    view = widget.attachments_view
    assert view is not None
    return view


def test_an_image_opens_in_the_viewer_zooms_saves_and_closes(
    qtbot: QtBot, window: MainWindow, store: Store, tmp_path: Path
) -> None:
    window.chat.open_conversation(conversation_with_attachments(store))
    (thumb,) = attachments_of(window).images()
    assert thumb.accessibleName() == "Image harbour.jpg"
    opened: list[ImageViewer] = []
    window.chat.opener.viewer_opened.connect(opened.append)
    qtbot.mouseClick(thumb, Qt.MouseButton.LeftButton)
    (viewer,) = opened
    gone: list[bool] = []
    viewer.destroyed.connect(lambda: gone.append(True))  # it is deleted once closed
    qtbot.waitExposed(viewer)
    qtbot.waitUntil(lambda: viewer.image is not None, timeout=WAIT_MS)
    assert viewer.windowTitle() == "harbour.jpg — Kibitz"
    assert (viewer.image.width(), viewer.image.height()) == (2400, 1600)  # type: ignore[union-attr]
    # Fitted: the whole photo in the window, which is no bigger than the screen.
    screen = viewer.screen().availableGeometry()
    assert viewer.width() <= screen.width()
    assert viewer.height() <= screen.height()
    assert viewer.fitting
    fit = viewer.zoom
    assert fit == pytest.approx(viewer.fit_zoom())
    assert fit < 1

    qtbot.keyClick(viewer, Qt.Key.Key_1)
    assert viewer.zoom == 1.0
    assert not viewer.fitting
    qtbot.keyClick(viewer, Qt.Key.Key_Plus)
    assert viewer.zoom == pytest.approx(ZOOM_STEP)
    qtbot.keyClick(viewer, Qt.Key.Key_Minus)
    assert viewer.zoom == pytest.approx(1.0)
    qtbot.keyClick(viewer, Qt.Key.Key_0)
    assert viewer.zoom == pytest.approx(fit)
    assert viewer.fitting

    area = viewer.findChild(QObject, "ViewerArea")
    assert area is not None
    viewport = area.viewport()  # type: ignore[attr-defined]
    wheel = QWheelEvent(
        QPointF(50, 50), QPointF(viewport.mapToGlobal(QPoint(50, 50))), QPoint(0, 0),
        QPoint(0, 120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
        Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(viewport, wheel)
    assert viewer.zoom == pytest.approx(fit * ZOOM_STEP)
    plain = QWheelEvent(
        QPointF(50, 50), QPointF(viewport.mapToGlobal(QPoint(50, 50))), QPoint(0, 0),
        QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(viewport, plain)
    assert viewer.zoom == pytest.approx(fit * ZOOM_STEP), "a wheel without Ctrl scrolls"

    qtbot.keyClick(viewer, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    dialog = viewer.save_dialog
    assert isinstance(dialog, QFileDialog)
    assert dialog.acceptMode() is QFileDialog.AcceptMode.AcceptSave
    target = tmp_path / "saved" / "copy.jpg"
    target.parent.mkdir()
    dialog.selectFile(str(target))
    dialog.accept()
    qtbot.waitUntil(lambda: viewer.status_text.startswith("Saved to"), timeout=WAIT_MS)
    assert target.read_bytes() == PHOTO, "the original bytes, not a re-encoded copy"

    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: bool(gone), timeout=WAIT_MS)


class UrlCatcher(QObject):
    """Stands in for the desktop's default application: remembers what it was asked to open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def catcher() -> Iterator[UrlCatcher]:
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    yield catcher
    QDesktopServices.unsetUrlHandler("file")


def test_a_file_chip_opens_a_private_copy_with_the_default_application(
    qtbot: QtBot, window: MainWindow, store: Store, catcher: UrlCatcher
) -> None:
    window.chat.open_conversation(conversation_with_attachments(store))
    (chip,) = attachments_of(window).file_chips()
    assert chip.toolTip().startswith("booking.pdf (")
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(catcher.urls), timeout=WAIT_MS)
    (url,) = catcher.urls
    assert url.isLocalFile()
    copy = Path(url.toLocalFile())
    assert copy.name == "booking.pdf"
    assert copy.read_bytes() == REPORT
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    private = copy.parent.parent
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    assert private == window.media.copies_folder()
    # Opened again: the same copy, not another.
    chip.activated.emit()
    qtbot.waitUntil(lambda: len(catcher.urls) == 2, timeout=WAIT_MS)
    assert catcher.urls[1] == url
    # Kibitz quits: the copies go.
    window.media.shutdown()
    assert not private.exists()


def test_thumbnails_are_asked_for_only_when_painted(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    conversation = store.create_conversation("Many")
    parent = None
    for n in range(30):
        data = files.png(None, 40 + n, 30)
        part = ImagePart(store.put_blob(data), f"p{n}.png", "image/png", len(data), 40 + n, 30)
        question = store.add_message(conversation.id, parent, Role.USER, [part])
        parent = store.add_message(conversation.id, question.id, Role.ASSISTANT, "ok").id
    window.chat.open_conversation(conversation.id)
    loader = window.media.thumbnails
    qtbot.waitUntil(lambda: loader.made > 0, timeout=WAIT_MS)
    made = [
        t.loaded
        for w in window.chat_view.message_widgets()
        if w.attachments_view is not None
        for t in w.attachments_view.images()
    ]
    # Widgets exist only near the end of a long conversation, and only painted ones load.
    assert len(made) < 30
    qtbot.wait(200)
    assert loader.made <= len(made)
