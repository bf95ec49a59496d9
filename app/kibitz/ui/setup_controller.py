"""First run: find out whether a model can be reached, and connect one if not.

Runs after the first frame: the keyring lookup may block (D-Bus, an unlock prompt) and the
local-server probe takes up to half a second, so both run off the UI thread or as tasks.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from kibitz.core.errors import ConfigError, KibitzError, SecretsError
from kibitz.core.secrets import SessionSecretStore, keyring_notice, resolve_api_key
from kibitz.core.settings import (
    KeySource,
    ProviderChoice,
    ProviderProfile,
    Settings,
    effective_provider,
)
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.notify import Notice, Notify
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.views.welcome import WelcomePane

if TYPE_CHECKING:
    import asyncio

    from kibitz.core.discovery import LocalServer

log = logging.getLogger(__name__)

CUSTOM_PROFILE = "custom"
_SESSION_ONLY = "kept for this session only (not saved)"


def _running_loop() -> asyncio.AbstractEventLoop:
    import asyncio

    return asyncio.get_running_loop()


@dataclass(frozen=True, slots=True)
class SetupState:
    """What the start-up check found: the provider in effect, whether it lacks a key, and the
    keyring's failure when it was met on the way (None when the keyring answered)."""

    provider: ProviderChoice
    needed: bool
    keyring_error: SecretsError | None = None


def setup_state(settings: Settings, secrets: SessionSecretStore) -> SetupState:
    """Look for the key of the provider in effect (blocking: keyring)."""
    try:
        provider = effective_provider(settings, os.environ)
    except ConfigError:
        provider = effective_provider(Settings(), os.environ)
        return SetupState(provider, True)
    try:
        resolve_api_key(provider, secrets, os.environ)
    except SecretsError as exc:
        log.warning("no usable keyring: %s", exc)
        return SetupState(provider, True, exc)
    except ConfigError:
        return SetupState(provider, True)
    return SetupState(provider, False)


def needs_setup(settings: Settings, secrets: SessionSecretStore) -> bool:
    """True when no key can be found for the provider in effect (blocking: keyring)."""
    return setup_state(settings, secrets).needed


def _kept_where(secrets: SessionSecretStore, remember: bool) -> str:
    return f"saved in {secrets.description}" if remember else _SESSION_ONLY


def key_label(provider: ProviderChoice) -> str:
    """Whose key the welcome pane asks for: OpenAI's, or the configured profile's by name."""
    if provider.kind == "openai" and KeySource.ENVIRONMENT in provider.key_order:
        return "an OpenAI API key"
    return f"the API key for {provider.name}"


class SetupController(QObject):
    setup_needed = Signal()  # the start-up check found no key: the welcome pane asks for one
    connected = Signal()  # a key was saved or a server chosen: the user can ask now

    def __init__(
        self,
        welcome: WelcomePane,
        settings: SettingsHolder,
        secrets: SessionSecretStore,
        runner: TaskRunner,
        executor: Executor,
        notify: Notify,
    ) -> None:
        super().__init__(welcome)
        self._welcome = welcome
        self._settings = settings
        self._secrets = secrets
        self._runner = runner
        self._executor = executor
        self._notify = notify
        self._state: SetupState | None = None  # what the last check found
        welcome.key_submitted.connect(self._on_welcome_key_submitted)
        welcome.server_chosen.connect(self._on_welcome_server_chosen)
        welcome.custom_server_submitted.connect(self._on_welcome_custom_server_submitted)

    def check(self) -> None:
        self._runner.start("setup:check", self._check())

    def show_setup(self, *, force: bool = False) -> None:
        self._welcome.set_needs_setup(True)
        if self._state is not None:
            self._ask(self._state)
        if force or not self._runner.running("setup:probe"):
            self._runner.start("setup:probe", self._probe())

    async def _check(self) -> None:
        loop = _running_loop()
        state = await loop.run_in_executor(
            self._executor, setup_state, self._settings(), self._secrets
        )
        self._state = state
        self._welcome.set_needs_setup(state.needed)
        if state.needed:
            self._ask(state)
            self.setup_needed.emit()
            log.info("no API key found: the welcome pane asks for one")
            await self._probe()

    def _ask(self, state: SetupState) -> None:
        """The key field asks for the provider's key; without a keyring, the card says so
        once, in plain words, and keeps the key for this session (a local server needs none,
        so nothing is said then: the card is not shown)."""
        provider = state.provider
        self._welcome.ask_for_key(key_label(provider), openai=provider.kind == "openai")
        error = state.keyring_error
        self._welcome.set_keyring_notice(None if error is None else keyring_notice(error, provider))

    async def _probe(self) -> None:
        from kibitz.core.discovery import find_local_servers

        self._welcome.set_local_servers(await find_local_servers())

    # -- the user's choices ---------------------------------------------------------------------

    def _on_welcome_key_submitted(self, key: str, remember: bool) -> None:
        self._runner.start("setup:key", self._store_key(key, remember))

    async def _store_key(self, key: str, remember: bool) -> None:
        provider = effective_provider(self._settings(), os.environ)
        loop = _running_loop()
        try:
            await loop.run_in_executor(
                self._executor,
                lambda: self._secrets.set_key(provider.name, key, remember=remember),
            )
        except SecretsError as exc:
            # Said once, where the key was typed; the next press keeps it for this session.
            log.warning("the key could not be saved: %s", exc)
            self._state = SetupState(provider, True, exc)
            self._welcome.set_keyring_notice(keyring_notice(exc, provider))
            return
        self._welcome.clear_setup_error()
        self._welcome.clear_key_field()
        self._welcome.set_needs_setup(False)
        self._notify(Notice(f"API key {_kept_where(self._secrets, remember)}. Ask away."))
        self.connected.emit()

    def _on_welcome_server_chosen(self, server: LocalServer) -> None:
        profile = ProviderProfile(name=server.kind, kind=server.kind, base_url=server.base_url)
        self._use_profile(profile, server.models[0] if server.models else None)

    def _on_welcome_custom_server_submitted(self, base_url: str, key: str) -> None:
        try:
            profile = ProviderProfile(name=CUSTOM_PROFILE, kind="custom", base_url=base_url)
        except KibitzError as exc:
            self._welcome.show_setup_error("\n".join(exc.lines()), offer_session_only=False)
            return
        if key:
            self._runner.start("setup:key", self._store_custom(profile, key))
        else:
            self._welcome.show_setup_error(
                "This server needs a key: enter any text if it does not check one.",
                offer_session_only=False,
            )

    async def _store_custom(self, profile: ProviderProfile, key: str) -> None:
        loop = _running_loop()
        # Without a keyring the key stays for this session, as the card has said.
        remember = self._state is None or self._state.keyring_error is None
        try:
            await loop.run_in_executor(
                self._executor,
                lambda: self._secrets.set_key(profile.name, key, remember=remember),
            )
        except SecretsError as exc:
            log.warning("the key could not be saved, kept for this session: %s", exc)
            remember = False
            self._secrets.set_key(profile.name, key, remember=False)  # memory: never blocks
        self._use_profile(profile, None, key_kept="" if remember else _SESSION_ONLY)

    def _use_profile(self, profile: ProviderProfile, model: str | None, key_kept: str = "") -> None:
        settings = self._settings().with_profile(profile)
        settings = dataclasses.replace(
            settings, providers=dataclasses.replace(settings.providers, active=profile.name)
        )
        if model:
            settings = settings.with_value("defaults.model", model)
        error = self._settings.update(settings)
        self._welcome.clear_setup_error()
        self._welcome.set_needs_setup(False)
        text = f"Connected to {profile.base_url}" + (f" · model {model}" if model else "")
        if error is not None:
            text += f" (not saved: {error.headline})"
        if key_kept:
            text += f". The key is {key_kept}"
        self._notify(Notice(text))
        self.connected.emit()
