"""From settings and the keyring to a ready ProviderConfig: the provider a turn talks to."""

from __future__ import annotations

import os
from collections.abc import Mapping

from kibitz.core.chat import ProviderConfig
from kibitz.core.secrets import SecretStore, resolve_api_key
from kibitz.core.settings import (
    ProviderChoice,
    ProviderProfile,
    Settings,
    choice_for_profile,
    effective_provider,
)


def provider_config(
    settings: Settings,
    secrets: SecretStore,
    env: Mapping[str, str] = os.environ,
    *,
    name: str | None = None,
) -> ProviderConfig:
    """The provider to talk to, with its key (raises the error tree's key/config errors)."""
    choice = effective_provider(settings, env, name=name)
    key = resolve_api_key(choice, secrets, env)
    return _config(choice, key.reveal(), settings)


def draft_provider_config(
    profile: ProviderProfile,
    settings: Settings,
    secrets: SecretStore,
    env: Mapping[str, str] = os.environ,
    *,
    api_key: str | None = None,
) -> ProviderConfig:
    """A config for a profile as the settings dialog holds it, saved or not ("Test
    connection" before Save): `api_key` is the key typed in the dialog; without one the
    profile's key is looked up as for a saved profile. Blocking (keyring): off the UI thread.
    """
    choice = choice_for_profile(profile)
    key = api_key.strip() if api_key and api_key.strip() else None
    if key is None:
        key = resolve_api_key(choice, secrets, env).reveal()
    return _config(choice, key, settings)


def _config(choice: ProviderChoice, key: str, settings: Settings) -> ProviderConfig:
    return ProviderConfig(
        name=choice.name,
        base_url=choice.base_url,
        kind=choice.kind,
        api_version=choice.api_version,
        deployment=choice.deployment,
        api_key=key,
        organization=choice.organization,
        extra_headers=tuple(choice.extra_headers.items()),
        read_timeout=settings.chat.request_timeout_s,
        max_retries=settings.chat.max_retries,
    )
