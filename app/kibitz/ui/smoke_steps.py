"""The GUI half of `kibitz --smoke-test`: ask in the main window, then in quick ask, and check
what each shows, the way a user would see it; then quit the app as the tray's Quit does."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, qVersion
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from kibitz.core.types import MessageStatus
from kibitz.ui.icons import icon_draws
from kibitz.ui.views.chat_view import ChatView
from kibitz.ui.views.composer import Composer

if TYPE_CHECKING:
    from kibitz.ui.desktop import DesktopPresence
    from kibitz.ui.main_window import MainWindow
    from kibitz.ui.smoke import SmokeDriver

log = logging.getLogger(__name__)

_POLL_S = 0.02
_COLOUR = re.compile(r"color:\s*(#[0-9a-fA-F]{6})")
# Keeps the task alive: the loop holds only a weak reference to it.
_running: set[asyncio.Task[None]] = set()


class SmokeStepFailed(Exception):
    """A check did not hold; its message is the report line."""


def drive(
    driver: SmokeDriver, window: MainWindow, desktop: DesktopPresence, timeout: float
) -> None:
    steps = SmokeSteps(driver, window, desktop)
    task = asyncio.ensure_future(steps.run(timeout))
    _running.add(task)
    task.add_done_callback(_running.discard)


class SmokeSteps:
    """The checks, in order; `waiting_for` names the one a timeout interrupted."""

    def __init__(self, driver: SmokeDriver, window: MainWindow, desktop: DesktopPresence) -> None:
        self.driver = driver
        self.window = window
        self.desktop = desktop
        self.waiting_for = "the start"

    async def run(self, timeout: float) -> None:
        report = self.driver.report
        try:
            await asyncio.wait_for(self._steps(), timeout)
            self.driver.finished = True
        except SmokeStepFailed as exc:
            report.fail(str(exc))
        except TimeoutError:
            report.fail(f"timed out after {timeout:.0f}s waiting for {self.waiting_for}")
        except Exception as exc:  # the smoke test's top level: any crash is its verdict
            log.exception("smoke test crashed")
            report.fail(f"crashed: {type(exc).__name__}: {exc}")
        finally:
            # What the tray's Quit does: the window saves its geometry, replies are stopped.
            self.desktop.quick.hide()
            self.window.close()
            self.desktop.quit_requested.emit()

    async def _steps(self) -> None:
        report, server, window = self.driver.report, self.driver.server, self.window
        platform = QGuiApplication.platformName()
        await self._until(lambda: _shown(window), "the main window to show")
        report.ok(f"main window shown (Qt {qVersion()}, platform {platform})")
        if QApplication.windowIcon().isNull():
            raise SmokeStepFailed("the app has no icon: resources/icons is missing")
        if not icon_draws("copy"):
            raise SmokeStepFailed("the icon set draws nothing: resources/icons/ui or QtSvg missing")
        report.ok("the icon set draws (QtSvg and resources/icons/ui)")
        if not _formula_draws():
            raise SmokeStepFailed("a LaTeX formula does not draw: ziamath or its fonts missing")
        report.ok("a LaTeX formula draws (ziamath, its fonts and symbol table)")

        await self._ask(window.composer, window.chat_view, "What does the smoke test say?")
        report.ok("main window: a reply streamed, was stored complete and rendered")

        quick = self.desktop.quick
        quick.summon()
        await self._until(lambda: _shown(quick), "the quick-ask window to show")
        report.ok("quick ask shown")
        await self._ask(quick.composer, quick.chat_view, "And in quick ask?")
        report.ok("quick ask: a reply streamed, was stored complete and rendered")

        streamed = [r for r in server.requests if r.stream]
        if len(streamed) != 2 or not all(r.key_matched for r in streamed):
            raise SmokeStepFailed(
                f"the server saw {len(streamed)} streamed requests, not 2 with the key"
            )
        report.ok("the server received both questions, each with the key it expected")

    async def _ask(self, composer: Composer, view: ChatView, question: str) -> None:
        """Type `question`, press Enter, wait for the reply to be complete and painted."""
        edit = composer.findChild(QWidget, "ComposerEdit")
        if edit is None:
            raise SmokeStepFailed("the composer has no text field")
        composer.set_text(question)
        before = len(view.message_widgets())
        started = time.monotonic()
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                edit, QKeyEvent(kind, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier)
            )

        def answered() -> bool:
            widgets = view.message_widgets()
            return (
                len(widgets) >= before + 2
                and widgets[-1].message.status is not MessageStatus.STREAMING
                and not composer.busy
            )

        await self._until(answered, f"a reply to {question!r}")
        _check_reply(view, self.driver.server.reply_text)
        log.info(
            "smoke test: %r answered in %.0f ms", question, (time.monotonic() - started) * 1000
        )

    async def _until(self, condition: Callable[[], bool], what: str) -> None:
        """Poll the UI state (the loop runs meanwhile); `run` bounds the time."""
        self.waiting_for = what
        while not condition():
            await asyncio.sleep(_POLL_S)


def _check_reply(view: ChatView, expected: str) -> None:
    last = view.message_widgets()[-1]
    message = last.message
    if message.status is not MessageStatus.COMPLETE:
        raise SmokeStepFailed(
            f"the reply ended {message.status.value}: {message.error or last.plain_text()[:200]}"
        )
    if message.content != expected:
        raise SmokeStepFailed(f"stored reply differs: {message.content!r} != {expected!r}")
    shown = last.plain_text()
    for words in ("Smoke test reply: bold and inline code.", "return 42"):
        if words not in shown:
            raise SmokeStepFailed(f"the reply shows {shown[:200]!r}, without {words!r}")
    if "**" in shown or "```" in shown:
        raise SmokeStepFailed("the reply shows raw Markdown: it was not rendered")
    colours = set(_COLOUR.findall(last.text_view.document().toHtml()))
    if len(colours) < 3:  # text plus at least two token colours
        raise SmokeStepFailed(f"the code block is not highlighted (colours: {sorted(colours)})")


def _shown(widget: QWidget) -> bool:
    handle = widget.windowHandle()
    return widget.isVisible() and handle is not None and handle.isExposed()


def _formula_draws() -> bool:
    from kibitz.ui.math import FormulaStyle, render_formula

    style = FormulaStyle(16.0, 8.0, 15.0, 4.0, "#000000", "#b45309", "monospace", 1.0)
    return render_formula(r"\int_0^1 \alpha\,dx", "$…$", False, style).error is None
