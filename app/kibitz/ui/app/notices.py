"""Notices from anywhere, at any time: queued until the window's notice bar can show them."""

from __future__ import annotations

from PySide6.QtCore import QObject

from kibitz.ui.notify import Notice, Notify


class NoticeBridge:
    """Takes notices before the window exists (a crash during start-up) and hands them on.

    Services built before the window get `show_notice`; `attach` gives the bridge the window's
    bar, which shows what waited, then everything that follows. UI thread only.
    """

    def __init__(self) -> None:
        self._target: Notify | None = None
        self._pending: list[Notice] = []

    @property
    def pending(self) -> tuple[Notice, ...]:
        return tuple(self._pending)

    def show_notice(self, notice: Notice) -> None:
        if self._target is None:
            self._pending.append(notice)
        else:
            self._target(notice)

    def attach(self, notify: Notify, owner: QObject | None = None) -> None:
        """Show notices through `notify` from now on; when `owner` (its widget) is destroyed,
        queue them again instead of calling into a deleted object."""
        self._target = notify
        if owner is not None:
            owner.destroyed.connect(self._on_owner_destroyed)
        pending, self._pending = self._pending, []
        for notice in pending:
            notify(notice)

    def _on_owner_destroyed(self) -> None:
        self._target = None
