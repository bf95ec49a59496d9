"""A profile's API key: where it is kept, shown masked; replace it or delete it.

The key is typed into a password field (Qt refuses to copy from one) and handed straight to
the keyring off the UI thread; it is never shown again in clear, only as `sk-…abcd`. When no
keyring works, the box says so and offers to keep the key in memory for this run.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kibitz.core.errors import SecretsError
from kibitz.core.secrets import display_key, without_keyring
from kibitz.core.settings import KEYLESS_KINDS, KeySource, ProviderChoice, ProviderProfile
from kibitz.core.settings.provider import choice_for_profile
from kibitz.ui.settings.context import SettingsContext

log = logging.getLogger(__name__)

ENV_KEY = "OPENAI_API_KEY"


class KeyBox(QWidget):
    def __init__(self, context: SettingsContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._profile = ""
        self._choice: ProviderChoice | None = None
        self.status = QLabel()
        self.status.setObjectName("KeyStatus")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("API key status")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.field = QLineEdit()
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setPlaceholderText("Paste a new key to replace the stored one")
        self.field.setAccessibleName("API key")
        self.field.returnPressed.connect(self.save)
        self.save_button = QPushButton("Save key")
        self.save_button.setAccessibleName("Save the API key")
        self.save_button.clicked.connect(self.save)
        self.session_button = QPushButton("Keep for this session only")
        self.session_button.setAccessibleName("Keep the API key in memory for this session")
        self.session_button.clicked.connect(lambda: self.save(remember=False))
        self.session_button.setToolTip("Forgotten when Kibitz quits")
        self.session_button.hide()
        self.delete_button = QPushButton("Delete key")
        self.delete_button.setAccessibleName("Delete the stored API key")
        self.delete_button.clicked.connect(self.delete)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.save_button)
        row.addWidget(self.session_button)
        row.addWidget(self.delete_button)
        row.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.field)
        column.addLayout(row)
        column.addWidget(self.status)

    @property
    def profile(self) -> str:
        return self._profile

    def show_profile(self, profile: ProviderProfile) -> None:
        self._profile = profile.name
        self._choice = choice_for_profile(profile)
        self.field.clear()
        self._set_status("Looking in the keyring…")
        self._run(self._lookup)

    # -- keyring work, off the UI thread --------------------------------------------------------

    def _run(self, work: Callable[[], Callable[[], None]]) -> None:
        """`work` runs on the worker thread and returns the display update for the UI thread."""

        async def job() -> None:
            import asyncio

            loop = asyncio.get_running_loop()
            update = await loop.run_in_executor(self._context.executor, work)
            update()

        self._context.runner.start(f"settings-key-{id(self)}", job())

    def _lookup(self) -> Callable[[], None]:
        name = self._profile
        try:
            key = self._context.secrets.get_key(name)
        except SecretsError as exc:
            failure = exc
            return lambda: self._show_unusable(failure)
        return lambda: self._show_key(name, key)

    def save(self, *, remember: bool = True) -> None:
        key = self.field.text().strip()
        if not key:
            self._set_status("Paste the key into the field first.")
            return
        name = self._profile

        def store() -> Callable[[], None]:
            try:
                self._context.secrets.set_key(name, key, remember=remember)
            except SecretsError as exc:
                failure = exc
                return lambda: self._show_unusable(failure)
            return lambda: self._saved(name, key, remember)

        self._run(store)

    def delete(self) -> None:
        name = self._profile

        def remove() -> Callable[[], None]:
            try:
                self._context.secrets.delete_key(name)
            except SecretsError as exc:
                failure = exc
                return lambda: self._show_unusable(failure)
            return lambda: self._show_key(name, None)

        self._run(remove)

    # -- display -------------------------------------------------------------------------------

    def _saved(self, name: str, key: str, remember: bool) -> None:
        if name != self._profile:
            return
        self.field.clear()
        self._show_key(name, key, session=not remember)

    def _show_key(self, name: str, key: str | None, *, session: bool = False) -> None:
        if name != self._profile:
            return
        self.session_button.hide()
        self.delete_button.setEnabled(key is not None)
        if key is not None:
            where = "in memory for this session only" if session else self._where()
            self._set_status(f"Key {display_key(key)} is kept {where}.")
        elif self._choice is not None and self._choice.kind in KEYLESS_KINDS:
            self._set_status("No key: local servers usually need none.")
        elif os.environ.get(ENV_KEY) and self._sends_env_key():
            self._set_status(f"No key stored; {ENV_KEY} from the environment is used.")
        else:
            self._set_status("No key stored yet. Paste one above and press Save key.")

    def _where(self) -> str:
        if not self._context.secrets.persistent:
            return "in memory for this session only"
        return "in the system keyring"

    def _sends_env_key(self) -> bool:
        return self._choice is not None and KeySource.ENVIRONMENT in self._choice.key_order

    def _show_unusable(self, error: SecretsError) -> None:
        if self._choice is None:
            return
        self.session_button.show()
        if self._choice.kind in KEYLESS_KINDS:
            # Local servers usually need no key: no reason for alarm, just the facts.
            self._set_status(
                "No key: local servers usually need none. (No system keyring is available, "
                "so a key entered here is kept for this session only.)"
            )
            return
        offered = without_keyring(error, self._choice)
        self._set_status(f"{offered.headline}: {offered.detail}. {offered.hint}")

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
