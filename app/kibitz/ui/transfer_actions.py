"""Import and export in the app: File menu, the list's Export…, and files dropped on the window.

File → Import… asks for the file and whether ChatGPT's custom instructions are kept (the
Import dialog); a dropped export is imported at once, leaving them out (other dropped files
attach to the message being written: see kibitz.ui.attachments.mime).

The work runs on the I/O executor through the task runner; progress and results go to the
notice bar. Imported conversations reach the sidebar through the store's listeners, like
any other change. The transfer code itself loads on first use: the window's first frame
does not need it.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QStandardPaths, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QWidget

from kibitz.core.errors import KibitzError, StoreError
from kibitz.core.store import Store
from kibitz.core.types import ConversationId
from kibitz.core.words import count_of
from kibitz.ui.attachments.mime import export_paths
from kibitz.ui.notify import Notice, Notify
from kibitz.ui.tasks import TaskRunner

if TYPE_CHECKING:
    import asyncio

    from kibitz.core.transfer import ImportProgress, ImportReport
    from kibitz.ui.views.export_dialog import ExportChoice, ExportDialog
    from kibitz.ui.views.import_dialog import ImportChoice, ImportDialog

log = logging.getLogger(__name__)

IMPORT_TASK = "transfer:import"
EXPORT_TASK = "transfer:export"
_PROGRESS_INTERVAL_S = 0.1  # redraw the notice at most this often


def importable_paths(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[Path]:
    """The exports a drag carries: .zip files, and .json files that are a Kibitz or ChatGPT
    export. Other files are left to the widget below, which attaches them."""
    return export_paths(event.mimeData())


def _error_text(error: KibitzError) -> str:
    return " ".join(error.lines())


class TransferActions(QObject):
    """What File → Import…/Export…, the conversation list's Export… and a drop call."""

    import_finished = Signal(object)  # ImportReport
    export_finished = Signal(object)  # Path: the folder (Markdown) or the file (JSON) written
    open_requested = Signal(int)  # the user asked to see a conversation just imported
    _progressed = Signal(object)  # ImportProgress, emitted on the worker thread

    def __init__(
        self,
        store: Store,
        executor: Executor,
        runner: TaskRunner,
        notify: Notify,
        window: QWidget,
        current_conversation: Callable[[], int | None],
    ) -> None:
        super().__init__(window)
        self._store = store
        self._executor = executor
        self._runner = runner
        self._notify = notify
        self._window = window
        self._current_conversation = current_conversation
        self._importing: Path | None = None
        self._last_drawn = 0.0
        documents = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        self.export_folder = Path(documents or Path.home()) / "Kibitz export"
        # What the Import dialog offers next time (dropped files never keep instructions).
        self.import_folder = Path.home()
        self.keep_instructions = False
        self._progressed.connect(self._on_progressed)
        self.watch_drops(window)

    # -- drops --------------------------------------------------------------------------------

    def watch_drops(self, root: QWidget) -> None:
        """Take export files dropped anywhere on `root`, even on widgets that accept drops
        themselves (the composer would paste the file's path)."""
        root.setAcceptDrops(True)
        for widget in (root, *root.findChildren(QWidget)):
            if widget.acceptDrops():
                widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and isinstance(
            event, QDragEnterEvent | QDragMoveEvent
        ):
            if importable_paths(event):
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            paths = importable_paths(event)
            if paths:
                event.acceptProposedAction()
                self.import_paths(paths)
                return True
        return super().eventFilter(watched, event)

    # -- import -------------------------------------------------------------------------------

    def choose_import(self) -> ImportDialog:
        """The Import dialog: the file, and whether ChatGPT's custom instructions are kept."""
        from kibitz.ui.views.import_dialog import ImportDialog

        dialog = ImportDialog(
            self._window, folder=self.import_folder, keep_instructions=self.keep_instructions
        )
        dialog.chosen.connect(self._on_import_dialog_chosen)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _on_import_dialog_chosen(self, choice: ImportChoice) -> None:
        self.keep_instructions = choice.keep_instructions
        self.import_folder = choice.path if choice.path.is_dir() else choice.path.parent
        self.import_paths([choice.path], keep_instructions=choice.keep_instructions)

    def import_paths(
        self, paths: Sequence[Path], *, keep_instructions: bool = False
    ) -> asyncio.Task[None] | None:
        """Import each file in turn, off the UI thread, telling the user how it goes.

        `keep_instructions`: a ChatGPT export's custom instructions become each
        conversation's system prompt (left out by default).
        """
        if self._runner.running(IMPORT_TASK):
            self._notify(Notice("An import is already running; try again when it is done."))
            return None
        return self._runner.start(IMPORT_TASK, self._import(list(paths), keep_instructions))

    async def _import(self, paths: list[Path], keep_instructions: bool) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        for path in paths:
            self._importing = path
            self._last_drawn = 0.0
            self._notify(Notice(f"Importing {path.name}…", timeout_ms=0))
            work = functools.partial(self._import_one, path, keep_instructions)
            try:
                report = await loop.run_in_executor(self._executor, work)
            except KibitzError as e:
                log.warning("import of %s failed: %s", path, e)
                self._notify(Notice(_error_text(e), timeout_ms=0, kind="error"))
                continue
            except OSError as e:
                self._notify(
                    Notice(
                        f"{path.name} could not be read: {e.strerror or e}. Nothing was imported.",
                        timeout_ms=0,
                        kind="error",
                    )
                )
                continue
            finally:
                self._importing = None
            self._report(report)

    def _import_one(self, path: Path, keep_instructions: bool) -> ImportReport:
        """On the worker thread, through a second connection: the sidebar and the open chat
        keep reading the store while the import's transaction runs."""
        from kibitz.core.transfer import import_file

        with self._store.companion() as own:
            return import_file(
                own, path, progress=self._progressed.emit, keep_instructions=keep_instructions
            )

    def _on_progressed(self, progress: ImportProgress) -> None:
        path = self._importing
        now = time.monotonic()
        if path is None or now - self._last_drawn < _PROGRESS_INTERVAL_S:
            return  # a late signal from a finished import, or too soon to redraw
        self._last_drawn = now
        what = "Reading" if progress.phase == "reading" else "Saving"
        self._notify(
            Notice(
                f"Importing {path.name}… {what} {progress.fraction:.0%}"
                f" ({progress.conversations} conversations)",
                timeout_ms=0,
            )
        )

    def _report(self, report: ImportReport) -> None:
        text = report.summary() + "."
        if report.unknown_types:
            text += " Content of unknown kinds was kept as notes."
        if report.instructions_left_out:
            text += (
                " Your ChatGPT custom instructions were left out (File → Import… can keep them)."
            )
        first = report.imported[0] if report.imported else None
        self._notify(
            Notice(
                text,
                "Open" if first is not None else None,
                on_action=None if first is None else lambda: self.open_requested.emit(first),
                timeout_ms=15000,
            )
        )
        self.import_finished.emit(report)

    # -- export -------------------------------------------------------------------------------

    def choose_export(self, conversation_id: int | None = None) -> ExportDialog:
        """The Export dialog, offering `conversation_id` (default: the open one) or all."""
        from kibitz.ui.views.export_dialog import ExportDialog

        cid = self._current_conversation() if conversation_id is None else conversation_id
        conversation = None
        if cid is not None:
            try:
                found = self._store.get_conversation(ConversationId(cid))
                conversation = (int(found.id), found.title)
            except StoreError:
                conversation = None
        total = len(self._store.conversation_ids())
        dialog = ExportDialog(
            self._window, conversation=conversation, total=total, folder=self.export_folder
        )
        dialog.chosen.connect(self.export)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def export(self, choice: ExportChoice) -> asyncio.Task[None] | None:
        if self._runner.running(EXPORT_TASK):
            self._notify(Notice("An export is already running; try again when it is done."))
            return None
        self.export_folder = choice.folder
        return self._runner.start(EXPORT_TASK, self._export(choice))

    def _export_now(self, choice: ExportChoice) -> tuple[int, Path]:
        from kibitz.core.transfer import (
            chosen_conversations,
            export_json_file,
            export_markdown,
            json_export_path,
        )

        ids = None if choice.conversation_id is None else [ConversationId(choice.conversation_id)]
        conversations = chosen_conversations(self._store, ids)
        if choice.format == "json":
            choice.folder.mkdir(parents=True, exist_ok=True)
            target = export_json_file(self._store, conversations, json_export_path(choice.folder))
            return len(conversations), target
        export_markdown(self._store, conversations, choice.folder, all_branches=choice.all_branches)
        return len(conversations), choice.folder

    async def _export(self, choice: ExportChoice) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        self._notify(Notice("Exporting…", timeout_ms=0))
        try:
            count, where = await loop.run_in_executor(
                self._executor, functools.partial(self._export_now, choice)
            )
        except KibitzError as e:
            self._notify(Notice(_error_text(e), timeout_ms=0, kind="error"))
            return
        except OSError as e:
            self._notify(
                Notice(
                    f"The export could not be written: {e.strerror or e}. "
                    "Check that the folder is writable.",
                    timeout_ms=0,
                    kind="error",
                )
            )
            return
        folder = where if where.is_dir() else where.parent

        def open_folder() -> None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

        self._notify(
            Notice(
                f"Exported {count_of(count, 'conversation')} to {where}",
                "Open folder",
                on_action=open_folder,
                timeout_ms=15000,
            )
        )
        self.export_finished.emit(where)
