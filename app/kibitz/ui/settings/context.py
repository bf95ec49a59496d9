"""What the settings pages need from the app, in one object passed to each page."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

from kibitz.core.paths import AppPaths
from kibitz.core.secrets import SessionSecretStore
from kibitz.core.settings import Settings
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.notify import Notice, Notify
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.tools.service import ToolService


def _no_status() -> str:
    return ""


@dataclass(frozen=True, slots=True)
class SettingsContext:
    settings: SettingsHolder
    secrets: SessionSecretStore
    runner: TaskRunner  # async work (test connection, model lists)
    executor: Executor  # blocking work (the keyring)
    paths: AppPaths
    notify: Notify
    # The quick-ask hotkey's state in words ("Active: Ctrl+Alt+Space"), from the hotkey
    # service once it runs; empty when there is none to report.
    hotkey_status: Callable[[], str] = field(default=_no_status)
    # The command any desktop can bind to a shortcut (with --basedir when one is in use).
    quick_ask_command: Callable[[], str] = field(default=lambda: "kibitz --quick-ask")
    # The MCP servers' states and their tools (Settings → Tools); None where there is no
    # window to own them (tests of other pages).
    tools: ToolService | None = None

    def apply(self, settings: Settings) -> None:
        """Put `settings` in force and save them; a failed save is told, not raised."""
        failure = self.settings.update(settings)
        if failure is not None:
            self.notify(Notice(" ".join(failure.lines()), kind="error", timeout_ms=0))
