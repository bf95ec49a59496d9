"""ModelChoiceController: the provider and model the open conversation talks to, picked from
the composer's model button, and its reasoning effort.

A pick is stored as the conversation's own provider and model (as its settings window stores
them); in a new chat it is held until the first message makes the conversation, which then
starts with it. The last pick is also remembered (`last-model.json` in the cache folder, kept
across restarts) so the next new chat in the window starts with it; the settings' defaults are
left alone, so conversations that follow them (quick ask's, the CLI's, older ones) keep their
model. A conversation made here keeps its provider and model from then on.

The menu lists every provider profile's models: the cached list at once, then the server's,
fetched in the background (a server that cannot be reached leaves the cached list, said so
quietly). The reasoning effort is shown only for models that take one (kibitz.core.models).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
from collections.abc import Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from kibitz.core import errors
from kibitz.core.models import model_limits
from kibitz.core.secrets import SecretStore
from kibitz.core.settings import Settings
from kibitz.core.settings.overrides import with_override
from kibitz.core.settings.provider import ENV_PROVIDER_NAME
from kibitz.core.store import Store
from kibitz.core.types import (
    REASONING_EFFORTS,
    ChangeKind,
    Changes,
    ConversationId,
    ReasoningEffort,
    RequestParams,
)
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.notify import Notify, error_notice
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.views.composer import Composer
from kibitz.ui.views.model_menu import ChosenModel, ModelMenu, ProviderModels

if TYPE_CHECKING:
    from kibitz.core.pricing import Price
    from kibitz.core.server_models import ModelCache

log = logging.getLogger(__name__)

LOADING = "loading…"
OFFLINE = "offline – cached list"
LAST_PICK_FILE = "last-model.json"  # in the cache folder
_LIST_TIMEOUT_S = 20.0


class ModelChoiceController(QObject):
    group_fetched = Signal(object)  # ProviderModels: a server's list came (or failed to)

    def __init__(
        self,
        store: Store,
        settings: SettingsHolder,
        secrets: SecretStore,
        composer: Composer,
        runner: TaskRunner,
        executor: Executor,
        cache_dir: Path,
        notify: Notify,
        parent: QObject | None = None,
        *,
        env: Mapping[str, str] = os.environ,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._settings = settings
        self._secrets = secrets
        self._composer = composer
        self._runner = runner
        self._executor = executor
        self._cache_dir = cache_dir
        self._notify = notify
        self._env = env
        self._conversation: ConversationId | None = None
        # A new chat's choices, until its first message makes the conversation.
        self._pending: ChosenModel | None = None
        self._pending_effort: ReasoningEffort | None = None
        self._notes: dict[str, str] = {}  # provider -> what the menu says beside it
        self.menu: ModelMenu | None = None
        composer.model_menu_requested.connect(self.show_menu)
        composer.reasoning_effort_chosen.connect(self._on_composer_reasoning_effort_chosen)
        settings.changed.connect(self._on_settings_changed)
        store.add_listener(self._on_store_changed)
        self.refresh()

    # -- the open conversation ------------------------------------------------------------------

    def open(self, conversation_id: ConversationId | None) -> None:
        """Another conversation is shown (None: a new chat, with the last model picked)."""
        self._conversation = conversation_id
        if conversation_id is None:
            self._pending, self._pending_effort = None, None
        self.refresh()

    def current(self) -> ChosenModel:
        """The provider and model the next message of the open conversation goes to."""
        settings = self._settings()
        if self._conversation is None:
            return (
                self._pending
                or self._last_pick()
                or ChosenModel(_default_provider(settings), settings.defaults.model)
            )
        try:
            conversation = self._store.get_conversation(self._conversation)
        except errors.StoreError:
            log.exception("could not read conversation %s", self._conversation)
            return ChosenModel(_default_provider(settings), settings.defaults.model)
        return ChosenModel(
            conversation.provider or _default_provider(settings),
            conversation.params.model or settings.defaults.model,
        )

    def effort(self) -> str | None:
        """The open conversation's own reasoning effort (None: the default)."""
        if self._conversation is None:
            return self._pending_effort
        try:
            return self._store.get_conversation(self._conversation).params.reasoning_effort
        except errors.StoreError:
            return None

    def new_chat_params(self, params: RequestParams | None) -> tuple[RequestParams, str | None]:
        """What a conversation made by a new chat's first message starts with: `params` (the
        tools choice) with the model and effort of this chat, and the provider profile's name
        (None for the environment's provider)."""
        choice = self.current()
        start = dataclasses.replace(
            params or RequestParams(), model=choice.model, reasoning_effort=self._pending_effort
        )
        return start, self._stored_provider(choice.provider)

    # -- choosing -------------------------------------------------------------------------------

    def choose(self, choice: ChosenModel) -> None:
        """Use this model for the open conversation (or the new chat), and for new chats."""
        takes_effort = _takes_effort(choice.model)
        if self._conversation is None:
            self._pending = choice
            if not takes_effort:
                self._pending_effort = None
        else:
            conversation_id = self._conversation
            try:
                conversation = self._store.get_conversation(conversation_id)
                params = with_override(
                    conversation.params, "model", choice.model, model=choice.model
                )
                if not takes_effort:
                    # A model without reasoning may refuse the parameter outright.
                    params = dataclasses.replace(params, reasoning_effort=None)
                with self._store.batch():
                    self._store.set_params(conversation_id, params)
                    self._store.set_provider(
                        conversation_id, self._stored_provider(choice.provider)
                    )
            except (errors.StoreError, errors.InvalidValueError) as exc:
                self._notify(error_notice(exc, "use that model"))
        self._remember(choice)
        self.refresh()

    def choose_effort(self, effort: str | None) -> None:
        """The reasoning effort of the open conversation (None: the default)."""
        if self._conversation is None:
            self._pending_effort = next((e for e in REASONING_EFFORTS if e == effort), None)
        else:
            conversation_id = self._conversation
            try:
                params = self._store.get_conversation(conversation_id).params
                self._store.set_params(
                    conversation_id,
                    with_override(params, "reasoning_effort", effort, model=self.current().model),
                )
            except (errors.StoreError, errors.InvalidValueError) as exc:
                self._notify(error_notice(exc, "keep that reasoning effort"))
        self.refresh()

    def _remember(self, choice: ChosenModel) -> None:
        """The next new chat in the window starts with this model (on this provider)."""
        path = self._cache_dir / LAST_PICK_FILE
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                json.dumps({"provider": choice.provider, "model": choice.model}), "utf-8"
            )
        except OSError as exc:  # harmless: new chats start with the defaults instead
            log.warning("could not remember the model picked: %s", exc)

    def _last_pick(self) -> ChosenModel | None:
        """The last model picked, while its provider still exists."""
        try:
            data = json.loads((self._cache_dir / LAST_PICK_FILE).read_text("utf-8"))
            provider, model = str(data["provider"]), str(data["model"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        settings = self._settings()
        known = settings.providers.profile(provider) is not None
        if not model or not (known or provider == _default_provider(settings)):
            return None
        return ChosenModel(provider, model)

    def _stored_provider(self, provider: str) -> str | None:
        return provider if self._settings().providers.profile(provider) is not None else None

    # -- the composer's button ------------------------------------------------------------------

    def refresh(self) -> None:
        choice = self.current()
        settings = self._settings()
        shown_provider = choice.provider if settings.providers.profiles else ""
        self._composer.set_model(choice.model, shown_provider)
        self._composer.set_reasoning_effort(self.effort(), shown=_takes_effort(choice.model))

    # -- the menu -------------------------------------------------------------------------------

    def show_menu(self) -> None:
        """Open the model menu over the composer: cached lists now, the servers' as they come."""
        if self.menu is None:
            self.menu = ModelMenu(self._composer)
            self.menu.model_chosen.connect(self._on_menu_model_chosen)
        self.menu.set_groups(self.groups(), self.current())
        button = self._composer.model_button
        self.menu.popup_at(button if button.isVisible() else self._composer)

    def groups(self) -> list[ProviderModels]:
        """Every provider's models as cached; the servers' lists are fetched meanwhile (the
        menu is updated as they come)."""
        from kibitz.core.server_models import ModelCache

        cache = ModelCache(self._cache_dir)
        groups = []
        for name in self._provider_names():
            cached = self._cached(cache, name)
            if not self._runner.running(_task_key(name)):
                self._notes[name] = LOADING
                self._runner.start(_task_key(name), self._fetch(name))
            groups.append(ProviderModels(name, cached, self._notes.get(name, "")))
        return groups

    def _provider_names(self) -> list[str]:
        profiles = self._settings().providers.profiles
        return [p.name for p in profiles] if profiles else [ENV_PROVIDER_NAME]

    def _base_url(self, name: str) -> str | None:
        from kibitz.core.settings import effective_provider

        try:
            return effective_provider(self._settings(), self._env, name=name).base_url
        except errors.ConfigError:
            return None

    def _cached(self, cache: ModelCache, name: str) -> tuple[str, ...]:
        found = cache.get(name, self._base_url(name))
        return found.models if found is not None else ()

    async def _fetch(self, name: str) -> None:
        from kibitz.core.conversation import connect
        from kibitz.core.server_models import ModelCache, refresh_models

        settings = self._settings()
        cache = ModelCache(self._cache_dir)
        profile = name if settings.providers.profile(name) is not None else None
        try:
            # The key comes from the keyring, which may block: off the UI thread.
            provider = await asyncio.get_running_loop().run_in_executor(
                self._executor,
                lambda: connect.provider_config(settings, self._secrets, self._env, name=profile),
            )
            # A list is not worth a long wait: a hung server leaves the cached one in view.
            provider = dataclasses.replace(
                provider, read_timeout=min(provider.read_timeout, _LIST_TIMEOUT_S)
            )
            fresh = await refresh_models(cache, provider, on_prices=self._keep_listed_prices)
        except errors.KibitzError as exc:
            log.info("could not list the models of %s: %s", name, exc)
            has_cache = bool(self._cached(cache, name))
            if isinstance(exc, errors.ApiConnectionError | errors.ApiTimeoutError):
                note = OFFLINE if has_cache else "offline"
            else:
                note = "cached list" if has_cache else exc.headline
            self._notes[name] = note
            self._show_group(ProviderModels(name, self._cached(cache, name), note))
            return
        self._notes[name] = ""
        self._show_group(ProviderModels(name, fresh.models))

    def _keep_listed_prices(self, prices: dict[str, Price]) -> None:
        """OpenRouter's list came with its prices: they price its replies from now on."""
        from kibitz.core.pricing.openrouter import SOURCE

        self._executor.submit(self._store.replace_listed_prices, "openrouter", SOURCE, prices)

    def _show_group(self, group: ProviderModels) -> None:
        self.group_fetched.emit(group)
        if self.menu is not None and any(g.provider == group.provider for g in self.menu.groups()):
            self.menu.update_group(group)

    # -- slots ----------------------------------------------------------------------------------

    def _on_menu_model_chosen(self, choice: ChosenModel) -> None:
        self.choose(choice)
        self._composer.focus_input()

    def _on_composer_reasoning_effort_chosen(self, effort: str | None) -> None:
        self.choose_effort(effort)

    def _on_settings_changed(self, _settings: Settings) -> None:
        self.refresh()

    def _on_store_changed(self, changes: Changes) -> None:
        if changes.kind is ChangeKind.PARAMS and self._conversation in changes.conversation_ids:
            self.refresh()  # its settings window changed the model, say


def _default_provider(settings: Settings) -> str:
    providers = settings.providers
    if providers.active is not None:
        return providers.active
    return providers.profiles[0].name if providers.profiles else ENV_PROVIDER_NAME


def _takes_effort(model: str) -> bool:
    limits = model_limits(model)
    return limits is not None and limits.reasoning


def _task_key(provider: str) -> str:
    return f"models:{provider}"
