"""DraftKeeper: the composer's unsent text and attachments, kept per conversation on disk.

Opening another conversation puts the composer's draft aside (in memory, and on disk through
kibitz.core.drafts) and brings back that conversation's own; the new-chat composer has one
too. Every change is saved shortly after the typing pauses, on the media worker, so a crash
loses at most the last moments; closing the window saves at once. A draft that was being
edited (Up, or Edit on a message) remembers which message, so sending it still makes a new
version of that message.

Saves are numbered per draft: a save queued on the worker never overwrites a newer one
written meanwhile (the save made while the window closes runs on the UI thread).
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QTimer

from kibitz.core.drafts import NEW_CHAT, Draft, DraftStore
from kibitz.core.types import MessageId
from kibitz.ui.attachments.jobs import MediaJobs
from kibitz.ui.notify import Notice, Notify
from kibitz.ui.views.composer import Composer

log = logging.getLogger(__name__)

SAVE_DELAY_MS = 700  # after the last change: a pause in typing


class DraftKeeper(QObject):
    def __init__(
        self,
        composer: Composer,
        drafts: DraftStore,
        jobs: MediaJobs,
        notify: Notify,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._composer = composer
        self._drafts = drafts
        self._jobs = jobs
        self._notify = notify
        self._key = NEW_CHAT
        self._editing: MessageId | None = None
        self._memory: dict[str, Draft] = {}
        self._restoring = False
        self._told_failure = False
        self._lock = threading.Lock()
        self._next_number = 0
        self._written: dict[str, int] = {}  # the number of the newest save written, per key
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        composer.contents_changed.connect(self._on_composer_contents_changed)

    @property
    def key(self) -> str:
        return self._key

    def snapshot(self) -> Draft:
        """What the composer holds now (attachments still being read are not in it yet)."""
        return Draft(self._composer.text, self._composer.attachments, self._editing)

    def set_editing(self, message_id: MessageId | None) -> None:
        self._editing = message_id
        self._changed()

    def leave(self) -> None:
        """Put the composer's draft aside: another conversation opens."""
        self._timer.stop()
        draft = self.snapshot()
        self._memory[self._key] = draft
        self._save_later(self._key, draft)

    def enter(self, key: str) -> Draft:
        """Bring back the draft kept under `key` into the composer (and return it)."""
        self._key = key
        draft = self._memory.get(key)
        if draft is None:
            # A manifest and the draft's own files: small, and read once per conversation.
            draft = self._drafts.load(key)
            self._memory[key] = draft
        self._editing = draft.editing
        self._restoring = True
        try:
            self._composer.set_text(draft.text)
            self._composer.set_attachments(draft.attachments)
        finally:
            self._restoring = False
        return draft

    def sent(self, key: str) -> None:
        """The draft was sent (and stored): it goes; the composer now writes under `key` (the
        conversation a new chat has just become)."""
        self._timer.stop()
        self._editing = None
        for old in {self._key, key}:
            self._memory.pop(old, None)
            self._save_later(old, Draft())
        self._key = key

    def flush(self) -> None:
        """Save now, on this thread: the window is closing."""
        self._timer.stop()
        draft = self.snapshot()
        self._memory[self._key] = draft
        try:
            self._write(self._key, draft, self._number())
        except (OSError, ValueError) as exc:
            log.warning("the draft could not be saved while closing: %s", exc)

    # -- internals ------------------------------------------------------------------------------

    def _on_composer_contents_changed(self) -> None:
        if not self._restoring:
            self._changed()

    def _changed(self) -> None:
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        draft = self.snapshot()
        self._memory[self._key] = draft
        self._save_later(self._key, draft)

    def _number(self) -> int:
        self._next_number += 1
        return self._next_number

    def _save_later(self, key: str, draft: Draft) -> None:
        number = self._number()
        self._jobs.submit(
            lambda: self._write(key, draft, number),
            lambda _none: None,
            self._on_save_failed,
            receiver=self,
        )

    def _write(self, key: str, draft: Draft, number: int) -> None:
        with self._lock:
            if number < self._written.get(key, 0):
                return  # a newer draft is on disk already
            self._drafts.save(key, draft)
            self._written[key] = number

    def _on_save_failed(self, error: BaseException) -> None:
        log.warning("the draft could not be saved: %s", error)
        if self._told_failure:
            return
        self._told_failure = True
        reason = error.strerror if isinstance(error, OSError) else None
        self._notify(
            Notice(
                f"Your unsent message could not be saved to disk ({reason or error}); it stays "
                "in the composer. Check that the data folder is writable and the disk not full.",
                timeout_ms=0,
                kind="warning",
            )
        )
