"""Zoom of the conversation text (Ctrl+= / Ctrl+- / Ctrl+0): a step of the `ui.font_size`
setting, so the size is the one Settings shows and it is kept across restarts."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

from kibitz.ui.notify import Notice, Notify, error_notice

if TYPE_CHECKING:
    from kibitz.ui.app_settings import SettingsHolder

SMALLEST, LARGEST = 6, 72  # the schema's range for ui.font_size, in points


def _steps(base: int) -> list[int]:
    """The sizes zoom walks through: every point near the base, then wider steps."""
    sizes = set(range(SMALLEST, 13)) | {14, 16, 18, 20, 22, 24, 28, 32, 36, 42, 48, 60, 72}
    sizes.add(base)
    return sorted(s for s in sizes if SMALLEST <= s <= LARGEST)


class ConversationZoom:
    """Moves `ui.font_size` one step up or down from the current size; reset clears it (the
    system's size). Each change is said briefly in a notice (with Reset); a settings file that
    cannot be written is said too (the size still applies for this session)."""

    def __init__(self, settings: SettingsHolder, notify: Notify) -> None:
        self._settings = settings
        self._notify = notify

    @staticmethod
    def base_size() -> int:
        size = QApplication.font().pointSize()
        return size if size > 0 else 10

    def current(self) -> int:
        size = self._settings().ui.font_size
        return size if size is not None else self.base_size()

    def zoom_in(self) -> int:
        return self._set(self._step(1))

    def zoom_out(self) -> int:
        return self._set(self._step(-1))

    def reset(self) -> int:
        if self._write(None):
            self._say(self.base_size())
        return self.base_size()

    def _on_reset(self) -> None:
        self.reset()

    def _step(self, direction: int) -> int:
        now = self.current()
        sizes = _steps(self.base_size())
        if direction > 0:
            bigger = [s for s in sizes if s > now]
            return bigger[0] if bigger else now
        smaller = [s for s in sizes if s < now]
        return smaller[-1] if smaller else now

    def _set(self, size: int) -> int:
        if self._write(None if size == self.base_size() else size):
            self._say(size)
        return size

    def _say(self, size: int) -> None:
        percent = round(100 * size / self.base_size())
        reset = None if size == self.base_size() else self._on_reset
        self._notify(
            Notice(
                f"Text size {percent}% ({size} pt)",
                "Reset" if reset else None,
                on_action=reset,
                timeout_ms=2500,
            )
        )

    def _write(self, size: int | None) -> bool:
        current = self._settings()
        if current.ui.font_size == size:
            return True
        error = self._settings.update(replace(current, ui=replace(current.ui, font_size=size)))
        if error is not None:  # applied for this session; the file could not be written
            self._notify(error_notice(error, "keep the text size"))
            return False
        return True
