"""A profile's API key: where it is kept, shown masked; replace it or delete it.

The key is typed into a password field (Qt refuses to copy from one) and handed straight to
the keyring off the UI thread; it is never shown again in clear, only as `sk-…abcd`. When no
keyring works, the box says so once, in plain words, and keeps the key for this session.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.errors import SecretsError
from kibitz.core.secrets import display_key, keyring_notice
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
        self._keyring_works = True  # False once the keyring failed: keys stay for the session
        self.field.returnPressed.connect(lambda: self.save(remember=self._keyring_works))
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
        # The keyring's technical failure (backend, D-Bus), folded away under the plain words.
        self.details_button = QToolButton()
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setAutoRaise(True)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setAccessibleName("Show the keyring's technical details")
        self.details_button.toggled.connect(self._on_details_toggled)
        self.details_button.hide()
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setAccessibleName("Keyring details")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.hide()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.field)
        column.addLayout(row)
        column.addWidget(self.status)
        column.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.details)

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
        secrets = self._context.secrets
        try:
            key = secrets.get_key(name)
        except SecretsError as exc:
            failure = exc
            return lambda: self._show_unusable(failure)
        session = key is not None and secrets.kept_for_session(name)
        return lambda: self._show_key(name, key, session=session)

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
        self._show_details("")
        self.delete_button.setEnabled(key is not None)
        if self._keyring_works:
            self.session_button.hide()
            self.save_button.show()
        if key is not None:
            where = "for this session only (not saved)" if session else "in the system keyring"
            self._set_status(f"Key {display_key(key)} is kept {where}.")
        elif self._choice is not None and self._choice.kind in KEYLESS_KINDS:
            self._set_status("No key: local servers usually need none.")
        elif os.environ.get(ENV_KEY) and self._sends_env_key():
            self._set_status(f"No key stored; {ENV_KEY} from the environment is used.")
        else:
            self._set_status("No key stored yet. Paste one above and press Save key.")

    def _sends_env_key(self) -> bool:
        return self._choice is not None and KeySource.ENVIRONMENT in self._choice.key_order

    def _show_unusable(self, error: SecretsError) -> None:
        """No keyring: keys are kept for this session, said once in plain words; a local
        server, which needs no key, is not bothered with it at all."""
        if self._choice is None:
            return
        log.warning("keyring not usable for %r: %s", self._profile, error)
        self._keyring_works = False
        self.save_button.hide()
        self.session_button.show()
        self.delete_button.setEnabled(False)
        if self._choice.kind in KEYLESS_KINDS:
            self._show_details("")
            self._set_status("No key: local servers usually need none.")
            return
        notice = keyring_notice(error, self._choice)
        self._set_status(notice.text)
        self._show_details(notice.details)

    def _show_details(self, text: str) -> None:
        self.details.setText(text)
        self.details_button.setVisible(bool(text))
        self.details_button.setChecked(False)
        self.details.hide()

    def _on_details_toggled(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
