"""Attaching in the composer as a user does: image data pasted (a screenshot tool's copy), files
copied in a file manager and pasted, files dropped, the paperclip's dialog; chips with
thumbnails, names and sizes, removed with ×; unreadable files told in a notice while the other
chips stay; text pasted as text stays text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QFileDialog, QPlainTextEdit, QPushButton, QToolButton
from pytestqt.qtbot import QtBot
from tests.support import attachment_files as files

from kibitz.core.attachments import Attachment, AttachmentKind
from kibitz.core.store import Store
from kibitz.ui.attachments.intake import AttachmentIntake
from kibitz.ui.attachments.media import MediaServices
from kibitz.ui.notify import Notice
from kibitz.ui.views.attachment_chip import AttachmentChip
from kibitz.ui.views.composer import Composer

WAIT_MS = 10_000


class Setup:
    def __init__(self, composer: Composer, intake: AttachmentIntake, notices: list[Notice]):
        self.composer = composer
        self.intake = intake
        self.notices = notices

    @property
    def edit(self) -> QPlainTextEdit:
        edit = self.composer.findChild(QPlainTextEdit, "ComposerEdit")
        assert edit is not None
        return edit

    @property
    def send_button(self) -> QPushButton:
        button = self.composer.findChild(QPushButton, "SendButton")
        assert button is not None
        return button

    def names(self) -> list[str]:
        return [chip.name for chip in self.composer.chips()]

    def ready(self) -> bool:
        return bool(self.composer.chips()) and not self.composer.reading


@pytest.fixture
def setup(qtbot: QtBot, tmp_path: Path) -> Iterator[Setup]:
    store = Store.open(tmp_path / "kibitz.sqlite3")
    composer = Composer()
    qtbot.addWidget(composer)
    media = MediaServices(store, tmp_path / "cache", composer)
    composer.set_thumbnails(media.thumbnails)
    notices: list[Notice] = []
    intake = AttachmentIntake(composer, media.jobs, notices.append, composer)
    composer.resize(700, 200)
    composer.show()
    qtbot.waitExposed(composer)
    yield Setup(composer, intake, notices)
    media.shutdown()
    store.close()


def paste(qtbot: QtBot, setup: Setup, mime: QMimeData) -> None:
    """Put `mime` on the real clipboard and press Ctrl+V in the composer."""
    QApplication.clipboard().setMimeData(mime)
    setup.edit.setFocus()
    qtbot.keyClick(setup.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def screenshot_copy(width: int = 320, height: int = 200) -> QMimeData:
    """What a screenshot tool puts on the clipboard: image data, no text, no file."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(30, 120, 200))
    mime = QMimeData()
    mime.setImageData(image)
    return mime


def file_copy(paths: list[Path]) -> QMimeData:
    """What a file manager's Copy puts on the clipboard: a uri-list, the paths as text."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    mime.setText("\n".join(str(p) for p in paths))
    return mime


def drop(target: object, mime: QMimeData) -> QDropEvent:
    """A drag entering `target` and dropped there, as Qt delivers a real one."""
    enter = QDragEnterEvent(
        QPoint(10, 10), Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(target, enter)  # type: ignore[arg-type]
    assert enter.isAccepted(), "the drag was refused"
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(target, event)  # type: ignore[arg-type]
    return event


def test_a_pasted_screenshot_becomes_an_image_chip_with_a_thumbnail(
    qtbot: QtBot, setup: Setup
) -> None:
    paste(qtbot, setup, screenshot_copy())
    qtbot.waitUntil(setup.ready, timeout=WAIT_MS)
    (chip,) = setup.composer.chips()
    assert chip.name == "pasted-image-1.png"
    assert chip.is_image
    assert chip.toolTip().startswith("pasted-image-1.png (")
    qtbot.waitUntil(lambda: chip.thumbnail is not None, timeout=WAIT_MS)
    (attachment,) = setup.composer.attachments
    assert isinstance(attachment, Attachment)
    assert attachment.kind is AttachmentKind.IMAGE
    assert (attachment.mime_type, attachment.width, attachment.height) == ("image/png", 320, 200)
    assert QImage.fromData(attachment.data).pixelColor(5, 5) == QColor(30, 120, 200)
    assert setup.composer.text == "", "no text was pasted"
    # A second screenshot gets the next name.
    paste(qtbot, setup, screenshot_copy(64, 64))
    qtbot.waitUntil(lambda: len(setup.composer.attachments) == 2, timeout=WAIT_MS)
    assert setup.names() == ["pasted-image-1.png", "pasted-image-2.png"]


def test_png_bytes_on_the_clipboard_are_kept_as_they_are(qtbot: QtBot, setup: Setup) -> None:
    data = files.png(None, 40, 30)
    mime = QMimeData()
    mime.setData("image/png", data)
    paste(qtbot, setup, mime)
    qtbot.waitUntil(setup.ready, timeout=WAIT_MS)
    (attachment,) = setup.composer.attachments
    assert isinstance(attachment, Attachment)
    assert attachment.data == data


def test_files_copied_in_a_file_manager_paste_as_chips(
    qtbot: QtBot, setup: Setup, tmp_path: Path
) -> None:
    photo = tmp_path / "holiday.jpg"
    photo.write_bytes(files.photo(800, 600))
    report = tmp_path / "report.pdf"
    files.text_pdf("Sales rose by a third.", path=report)
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\n- one\n- two\n", encoding="utf-8")
    paste(qtbot, setup, file_copy([photo, report, notes]))
    qtbot.waitUntil(setup.ready, timeout=WAIT_MS)
    assert setup.names() == ["holiday.jpg", "report.pdf", "notes.md"]
    assert setup.composer.text == "", "the paths were not pasted as text"
    image, pdf, text = setup.composer.chips()
    assert [image.is_image, pdf.is_image, text.is_image] == [True, False, False]
    assert pdf.details == f"PDF · {report.stat().st_size} bytes"
    assert text.details.startswith("MD · ")
    kinds = [a.kind for a in setup.composer.attachments if isinstance(a, Attachment)]
    assert kinds == [AttachmentKind.IMAGE, AttachmentKind.FILE, AttachmentKind.FILE]
    pdf_attachment = setup.composer.attachments[1]
    assert isinstance(pdf_attachment, Attachment)
    assert "Sales rose by a third." in (pdf_attachment.text or "")


def test_text_pasted_stays_text_and_text_beside_an_image_wins(qtbot: QtBot, setup: Setup) -> None:
    mime = QMimeData()
    mime.setText("plain words")
    paste(qtbot, setup, mime)
    assert setup.composer.text == "plain words"
    # A spreadsheet's cells come with a picture of them: the text is what was copied.
    both = screenshot_copy()
    both.setText(" and cells")
    paste(qtbot, setup, both)
    assert setup.composer.text == "plain words and cells"
    assert setup.composer.chips() == []


def test_dropped_files_become_chips(qtbot: QtBot, setup: Setup, tmp_path: Path) -> None:
    picture = tmp_path / "diagram.png"
    files.png(picture, 120, 80)
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n", encoding="utf-8")
    event = drop(setup.edit.viewport(), file_copy([picture, data]))
    assert event.isAccepted()
    qtbot.waitUntil(setup.ready, timeout=WAIT_MS)
    assert setup.names() == ["diagram.png", "data.csv"]
    assert setup.composer.text == ""


def test_the_remove_button_takes_one_chip_away(qtbot: QtBot, setup: Setup, tmp_path: Path) -> None:
    paths = []
    for name in ("one.txt", "two.txt", "three.txt"):
        path = tmp_path / name
        path.write_text(f"{name} text", encoding="utf-8")
        paths.append(path)
    setup.intake.add_paths(paths)
    qtbot.waitUntil(lambda: len(setup.composer.attachments) == 3, timeout=WAIT_MS)
    middle = setup.composer.chips()[1]
    assert middle.remove_button is not None
    assert middle.remove_button.accessibleName() == "Remove two.txt"
    qtbot.mouseClick(middle.remove_button, Qt.MouseButton.LeftButton)
    assert setup.names() == ["one.txt", "three.txt"]
    assert [a.name for a in setup.composer.attachments] == ["one.txt", "three.txt"]


def test_a_file_that_cannot_be_read_is_told_and_the_others_stay(
    qtbot: QtBot, setup: Setup, tmp_path: Path
) -> None:
    good = tmp_path / "good.txt"
    good.write_text("fine", encoding="utf-8")
    binary = tmp_path / "archive.zip"
    files.binary_blob("zip", path=binary)
    setup.intake.add_paths([good, tmp_path / "missing.txt"])
    qtbot.waitUntil(lambda: setup.notices != [], timeout=WAIT_MS)
    assert setup.names() == ["good.txt"]
    notice = setup.notices[-1]
    assert notice.kind == "error"
    assert notice.text.startswith("missing.txt cannot be attached")
    # Two failures at once are told in one notice, naming both.
    setup.intake.add_paths([binary, tmp_path / "gone.pdf"])
    qtbot.waitUntil(lambda: len(setup.notices) == 2, timeout=WAIT_MS)
    assert setup.notices[-1].text.startswith("2 files could not be attached: ")
    assert "archive.zip cannot be attached" in setup.notices[-1].text
    assert "gone.pdf cannot be attached" in setup.notices[-1].text
    assert setup.names() == ["good.txt"]


def test_send_takes_attachments_alone_but_waits_for_reading(
    qtbot: QtBot, setup: Setup, tmp_path: Path
) -> None:
    sent: list[str] = []
    setup.composer.send_requested.connect(sent.append)
    assert not setup.send_button.isEnabled()
    big = tmp_path / "photo.jpg"
    big.write_bytes(files.photo())
    setup.intake.add_paths([big])
    assert setup.composer.reading  # the chip shows at once, while the photo is read
    assert setup.composer.chips()[0].reading
    assert not setup.send_button.isEnabled()
    qtbot.keyClick(setup.edit, Qt.Key.Key_Return)
    assert sent == []
    qtbot.waitUntil(lambda: not setup.composer.reading, timeout=WAIT_MS)
    assert setup.send_button.isEnabled()
    qtbot.keyClick(setup.edit, Qt.Key.Key_Return)
    assert sent == [""]  # no words: the photo goes alone
    assert len(setup.composer.attachments) == 1, "the controller clears it once stored"


def test_the_paperclip_opens_a_dialog_for_several_files(
    qtbot: QtBot, setup: Setup, tmp_path: Path
) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.png"
    a.write_text("aaa", encoding="utf-8")
    files.png(b)
    clip = setup.composer.findChild(QToolButton, "AttachButton")
    assert clip is not None
    assert clip.accessibleName() == "Attach files"
    assert not clip.icon().isNull()
    qtbot.mouseClick(clip, Qt.MouseButton.LeftButton)
    dialog = setup.intake.dialog
    assert isinstance(dialog, QFileDialog)
    assert dialog.fileMode() is QFileDialog.FileMode.ExistingFiles
    dialog.setDirectory(str(tmp_path))
    dialog.selectFile('"a.txt" "b.png"')
    dialog.accept()
    qtbot.waitUntil(lambda: len(setup.composer.attachments) == 2, timeout=WAIT_MS)
    assert sorted(setup.names()) == ["a.txt", "b.png"]
    assert setup.intake.dialog is None
    assert setup.intake.folder == tmp_path


def test_chips_set_from_stored_parts_are_removable(qtbot: QtBot, setup: Setup) -> None:
    values = [
        Attachment("x.txt", "text/plain", b"x", AttachmentKind.FILE, text="x"),
        Attachment("y.txt", "text/plain", b"y", AttachmentKind.FILE, text="y"),
    ]
    setup.composer.set_attachments(values)
    chips = setup.composer.chips()
    assert all(isinstance(c, AttachmentChip) and c.remove_button for c in chips)
    setup.composer.clear()
    assert setup.composer.chips() == []
    assert not setup.composer.findChild(object, "ComposerAttachments").isVisible()  # type: ignore[union-attr]
