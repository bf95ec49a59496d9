"""Import and export in the window: the File menu, the list's Export…, dropped files, notices."""

from __future__ import annotations

import asyncio
import errno
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QContextMenuEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QWidget
from pytestqt.qtbot import QtBot
from tests.support.chatgpt_export import (
    ChatGPTConversation,
    generated_export,
    image_bytes,
    write_export_zip,
)
from tests.support.main_window import shown_window

from kibitz.core.paths import resolve_paths
from kibitz.core.store import Store
from kibitz.core.transfer import ImportReport, read_export
from kibitz.core.types import ConversationId, ImagePart, Role, TextPart
from kibitz.ui.main_window import MainWindow
from kibitz.ui.notify import Notice
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.transfer_actions import TransferActions
from kibitz.ui.views.export_dialog import ExportDialog
from kibitz.ui.views.import_dialog import KEEP_INSTRUCTIONS, ImportChoice, ImportDialog
from kibitz.ui.views.sidebar_delegate import SidebarListView


@pytest.fixture
def window(tmp_path: Path, qtbot: QtBot) -> Iterator[MainWindow]:
    paths = resolve_paths(tmp_path / "home").ensure()
    with Store.open(paths.database) as store:
        conversation = store.create_conversation("Alpha")
        question = store.add_message(conversation.id, None, Role.USER, "about Alpha")
        store.add_message(conversation.id, question.id, Role.ASSISTANT, "Alpha answer")
        with shown_window(qtbot, store, paths) as main:
            yield main


def chatgpt_zip(path: Path, titles: list[str], *, instructions: bool = False) -> Path:
    data = []
    for n, title in enumerate(titles):
        chat = ChatGPTConversation(title, 1_718_000_000.0 + n, conversation_id=f"conv-{title}")
        chat.hidden_system()
        if instructions:
            chat.custom_instructions("I am a botanist.", "Use Latin names.")
        chat.user(f"Question about {title}")
        chat.assistant(f"Answer about {title}")
        data.append(chat.to_json())
    return write_export_zip(path, data)


def sidebar_titles(window: MainWindow) -> list[str]:
    model = window.sidebar.conversation_model
    return sorted(model.index(r, 0).data() for r in range(model.rowCount()))


def file_drag(paths: list[Path]) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


async def settle() -> None:
    """Let queued Qt events (store changes from the worker thread) be delivered."""
    for _ in range(5):
        await asyncio.sleep(0.02)


async def next_emission(signal: object, timeout: float = 30.0) -> object:
    future: asyncio.Future[object] = asyncio.get_running_loop().create_future()

    def done(value: object) -> None:
        if not future.done():
            future.set_result(value)

    signal.connect(done)  # type: ignore[attr-defined]
    return await asyncio.wait_for(future, timeout)


def test_file_menu_offers_import_and_export(window: MainWindow) -> None:
    file_menu = window.menuBar().actions()[0].menu()
    assert isinstance(file_menu, QMenu)
    actions = {a.text(): a.shortcut().toString() for a in file_menu.actions()}
    assert actions["&Import…"] == "Ctrl+Shift+O"
    assert actions["&Export…"] == "Ctrl+Shift+E"


@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")  # offscreen menus
def test_export_from_the_conversation_menu(window: MainWindow, qtbot: QtBot) -> None:
    view = window.sidebar.findChild(SidebarListView)
    assert view is not None
    pos = view.visualRect(view.model().index(0, 0)).center()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.viewport(), event)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    action = next(a for a in menu.actions() if a.text() == "Export…")
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    dialog = window.findChild(ExportDialog)
    assert dialog is not None
    assert dialog.isVisible()
    assert dialog.one.text() == "Only “Alpha”"
    assert dialog.one.isChecked()
    assert dialog.every.text() == "All 1 conversations"
    dialog.reject()


def test_export_dialog_controls(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    dialog = window.transfer.choose_export()
    assert not dialog.one.isEnabled(), "no conversation open: only all of them"
    assert dialog.every.isChecked()
    assert unnamed_controls(dialog) == []
    dialog.json.setChecked(True)
    assert not dialog.branches.isEnabled(), "JSON holds every branch anyway"
    chosen: list[object] = []
    dialog.chosen.connect(chosen.append)
    dialog.folder.setText("   ")
    dialog.export_button.click()
    assert dialog.isVisible()
    assert dialog.problem.text() == "Choose a folder to export into."
    a_file = tmp_path / "file.txt"
    a_file.write_text("x", encoding="utf-8")
    dialog.folder.setText(str(a_file))
    dialog.export_button.click()
    assert dialog.problem.text() == f"{a_file} is a file: choose a folder."
    assert chosen == []
    dialog.reject()


def unnamed_controls(dialog: QWidget) -> list[str]:
    return [
        type(w).__name__
        for w in dialog.findChildren(QWidget)
        if w.isVisible()
        and w.metaObject().className() in ("QRadioButton", "QCheckBox", "QLineEdit", "QPushButton")
        and not w.accessibleName()
    ]


def test_import_dialog_controls(window: MainWindow, tmp_path: Path) -> None:
    dialog = window.transfer.choose_import()
    assert isinstance(dialog, ImportDialog)
    assert dialog.isVisible()
    assert unnamed_controls(dialog) == []
    assert dialog.keep_instructions.text() == (
        "Keep my ChatGPT custom instructions as each conversation's system prompt"
    )
    assert not dialog.keep_instructions.isChecked(), "off by default"
    chosen: list[object] = []
    dialog.chosen.connect(chosen.append)
    dialog.import_button.click()
    assert dialog.isVisible()
    assert dialog.problem.text() == "Choose a file to import."
    missing = tmp_path / "missing.zip"
    dialog.path.setText(str(missing))
    dialog.import_button.click()
    assert dialog.problem.text() == f"{missing} does not exist."
    assert chosen == []
    dialog.reject()


def test_enter_in_the_dialogs_fields_imports_or_exports(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    """Enter where the path is typed presses Import (Export), not Cancel or Choose…."""
    existing = tmp_path / "export.zip"
    existing.write_bytes(b"PK")
    importing = ImportDialog(window, folder=tmp_path, keep_instructions=True)
    importing.open()
    chosen: list[object] = []
    importing.chosen.connect(chosen.append)
    qtbot.keyClicks(importing.path, str(existing))
    qtbot.keyClick(importing.path, Qt.Key.Key_Return)
    assert chosen == [ImportChoice(existing, keep_instructions=True)]
    assert not importing.isVisible()

    exporting = ExportDialog(window, conversation=None, total=1, folder=tmp_path / "out")
    exporting.open()
    exporting.chosen.connect(chosen.append)
    qtbot.keyClick(exporting.folder, Qt.Key.Key_Return)
    assert len(chosen) == 2
    assert not exporting.isVisible()
    assert window.findChild(QFileDialog) is None, "no file chooser opened"


async def import_with_dialog(window: MainWindow, path: Path, *, keep: bool | None) -> object:
    """Import `path` through File → Import…'s dialog, ticking the box when `keep` says so."""
    dialog = window.transfer.choose_import()
    if keep is not None:
        dialog.keep_instructions.setChecked(keep)
    dialog.path.setText(str(path))
    finished = asyncio.ensure_future(next_emission(window.transfer.import_finished))
    dialog.import_button.click()
    assert not dialog.isVisible()
    report = await finished
    await settle()
    return report


@pytest.mark.asyncio
async def test_the_import_dialog_keeps_custom_instructions_only_when_asked(
    window: MainWindow, tmp_path: Path
) -> None:
    store = window._store
    left_out = chatgpt_zip(tmp_path / "a.zip", ["Ferns"], instructions=True)
    report = await import_with_dialog(window, left_out, keep=None)
    assert isinstance(report, ImportReport)
    assert report.instructions_left_out == 1
    (fern,) = report.imported
    assert store.get_conversation(fern).system_prompt is None

    kept = chatgpt_zip(tmp_path / "b.zip", ["Mosses"], instructions=True)
    report = await import_with_dialog(window, kept, keep=True)
    assert isinstance(report, ImportReport)
    (moss,) = report.imported
    assert store.get_conversation(moss).system_prompt == (
        "About me:\nI am a botanist.\n\nHow to respond:\nUse Latin names."
    )
    assert sidebar_titles(window) == ["Alpha", "Ferns", "Mosses"]
    again = window.transfer.choose_import()
    assert again.keep_instructions.isChecked(), "the last choice is offered again"
    assert again.keep_instructions.text() == KEEP_INSTRUCTIONS
    again.reject()


@pytest.mark.asyncio
async def test_dropping_a_chatgpt_zip_imports_it(window: MainWindow, tmp_path: Path) -> None:
    path = chatgpt_zip(tmp_path / "export.zip", ["Dropped one", "Dropped two"])
    target = window.composer.findChildren(QWidget)[0]  # the editor's viewport takes drops too
    mime = file_drag([path])  # kept alive here: the events hold only a pointer to it
    enter = QDragEnterEvent(
        QPoint(5, 5), Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(5, 5), Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    finished = asyncio.ensure_future(next_emission(window.transfer.import_finished))
    QApplication.sendEvent(target, drop)
    report = await finished
    assert isinstance(report, ImportReport)
    await settle()
    assert sidebar_titles(window) == ["Alpha", "Dropped one", "Dropped two"]
    assert window.composer.text == "", "the file's path was not pasted into the composer"
    notice = window.notices.current
    assert notice is not None
    assert notice.text == "Imported 2 conversations from export.zip (ChatGPT export)."
    assert notice.action_text == "Open"
    assert notice.on_action is not None
    notice.on_action()
    await settle()
    assert window.chat.conversation_id == report.imported[0]
    assert window.sidebar.current_conversation_id() == report.imported[0]


@pytest.mark.asyncio
async def test_other_drops_are_left_alone(window: MainWindow, tmp_path: Path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello", encoding="utf-8")
    mime = file_drag([text_file])
    enter = QDragEnterEvent(
        QPoint(5, 5), Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    assert not window.transfer.eventFilter(window, enter)


@pytest.mark.asyncio
async def test_a_bad_file_is_reported_and_imports_nothing(
    window: MainWindow, tmp_path: Path
) -> None:
    bad = tmp_path / "conversations.json"
    bad.write_text('[{"title": "x", "mapping": {}}, {"title": ', encoding="utf-8")
    task = window.transfer.import_paths([bad])
    assert task is not None
    await task
    notice = window.notices.current
    assert notice is not None
    assert notice.kind == "error"
    assert notice.text.startswith(
        "This file cannot be imported: conversations.json, line 1, column "
    )
    assert "the file ends in the middle of conversation 2: it is cut short" in notice.text
    assert "Nothing was imported." in notice.text
    await settle()
    assert sidebar_titles(window) == ["Alpha"]
    missing = window.transfer.import_paths([tmp_path / "gone.zip"])
    assert missing is not None
    await missing
    assert window.notices.current is not None
    # The system's own words for the error, in the user's language (Qt sets the locale).
    assert window.notices.current.text == (
        f"gone.zip could not be read: {os.strerror(errno.ENOENT)}. Nothing was imported."
    )


@pytest.mark.asyncio
async def test_progress_is_shown_while_importing(window: MainWindow, tmp_path: Path) -> None:
    path = write_export_zip(tmp_path / "big.zip", generated_export(400))
    notices: list[Notice] = []
    actions = TransferActions(
        window._store, ThreadPoolExecutor(max_workers=1), TaskRunner(), notices.append,
        QWidget(), lambda: None,
    )  # fmt: skip
    task = actions.import_paths([path])
    assert task is not None
    await task
    texts = [n.text for n in notices]
    assert texts[0] == "Importing big.zip…"
    assert any(t.startswith("Importing big.zip… Reading ") for t in texts[1:-1]), texts
    assert texts[-1] == (
        "Imported 400 conversations from big.zip (ChatGPT export). Your ChatGPT custom "
        "instructions were left out (File → Import… can keep them)."
    )
    await settle()
    assert len(sidebar_titles(window)) == 401, "the window's list follows the store"


@pytest.mark.asyncio
async def test_export_markdown_then_json(window: MainWindow, tmp_path: Path) -> None:
    (alpha,) = window.sidebar.conversation_model.ids()
    dialog = window.transfer.choose_export(alpha)
    assert dialog.one.isChecked()
    folder = tmp_path / "exported"
    dialog.folder.setText(str(folder))
    dialog.branches.setChecked(True)
    finished = asyncio.ensure_future(next_emission(window.transfer.export_finished))
    dialog.export_button.click()
    assert await finished == folder
    (written,) = folder.iterdir()
    assert written.name.endswith(").md")
    assert "## Assistant\n\nAlpha answer\n" in written.read_text(encoding="utf-8")
    notice = window.notices.current
    assert notice is not None
    assert (notice.text, notice.action_text) == (
        f"Exported 1 conversation to {folder}",
        "Open folder",
    )

    dialog = window.transfer.choose_export(alpha)
    assert dialog.folder.text() == str(folder), "the last folder is offered again"
    dialog.every.setChecked(True)
    dialog.json.setChecked(True)
    finished = asyncio.ensure_future(next_emission(window.transfer.export_finished))
    dialog.export_button.click()
    target = await finished
    assert isinstance(target, Path)
    assert target.parent == folder
    assert target.name.startswith("kibitz-export-")
    parsed = read_export(target)
    assert parsed.kind == "kibitz"
    assert [c.title for c in parsed.conversations] == ["Alpha"]
    assert json.loads(target.read_text(encoding="utf-8"))["format"] == "kibitz-export"
    assert ConversationId(alpha) == window.sidebar.conversation_model.ids()[0]


@pytest.mark.asyncio
async def test_markdown_export_writes_images_beside_it(tmp_path: Path, qtbot: QtBot) -> None:
    """The window exports through the same core function as the CLI: images come along."""
    paths = resolve_paths(tmp_path / "home").ensure()
    png = image_bytes(64, 48, "red")
    with Store.open(paths.database) as store:
        conversation = store.create_conversation("Photo")
        part = ImagePart(store.put_blob(png), "red square.png", "image/png", len(png), 64, 48)
        store.add_message(conversation.id, None, Role.USER, [TextPart("What is it?"), part])
        with shown_window(qtbot, store, paths) as window:
            dialog = window.transfer.choose_export(conversation.id)
            folder = tmp_path / "exported"
            dialog.folder.setText(str(folder))
            finished = asyncio.ensure_future(next_emission(window.transfer.export_finished))
            dialog.export_button.click()
            assert await finished == folder
    (markdown,) = folder.glob("*.md")
    stem = markdown.name.removesuffix(".md")
    assert (folder / stem / "red square.png").read_bytes() == png
    link = stem.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    assert f"![red square.png]({link}/red%20square.png)" in markdown.read_text(encoding="utf-8")
