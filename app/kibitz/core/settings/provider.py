"""Which server to talk to: the active provider profile, or the environment like the SDK's.

`effective_provider` returns a plain description (no key). The caller looks the key up with
`kibitz.core.secrets.resolve_api_key` and builds the chat engine's client config from both.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from kibitz.core import errors
from kibitz.core.settings.schema import ProviderKind, ProviderProfile, Settings

# The provider used when no profile is configured; also its keyring entry's user name, so
# `kibitz key set` works before any profile exists.
ENV_PROVIDER_NAME = "default"
OPENAI_BASE_URL = "https://api.openai.com/v1"

# Where each kind of server listens when the profile gives no URL (each project's own default).
KIND_BASE_URLS: Mapping[ProviderKind, str] = MappingProxyType(
    {
        "openai": OPENAI_BASE_URL,
        "openrouter": "https://openrouter.ai/api/v1",
        "ollama": "http://localhost:11434/v1",
        "lmstudio": "http://localhost:1234/v1",
        "llamacpp": "http://localhost:8080/v1",
        "vllm": "http://localhost:8000/v1",
    }
)
# Local servers answer without a key unless they were started with one.
KEYLESS_KINDS: frozenset[ProviderKind] = frozenset({"ollama", "lmstudio", "llamacpp", "vllm"})


class KeySource(enum.StrEnum):
    KEYRING = "keyring"
    ENVIRONMENT = "environment"  # OPENAI_API_KEY
    NOT_NEEDED = "not_needed"  # a local server; a placeholder key is sent


@dataclass(frozen=True, slots=True)
class ProviderChoice:
    """The provider in effect, described without its key.

    `base_url` is always explicit, even for api.openai.com, so the SDK never swaps in
    OPENAI_BASE_URL behind a profile's back. `key_order` is where `resolve_api_key` looks.
    """

    name: str
    kind: ProviderKind
    base_url: str
    organization: str | None = None
    extra_headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    api_version: str | None = None  # Azure
    deployment: str | None = None  # Azure
    key_order: tuple[KeySource, ...] = (KeySource.KEYRING,)
    from_profile: bool = True

    @property
    def key_source(self) -> KeySource:
        """Where the key is looked for first."""
        return self.key_order[0]

    @property
    def needs_key(self) -> bool:
        return self.kind not in KEYLESS_KINDS


def effective_provider(
    settings: Settings, env: Mapping[str, str] = os.environ, *, name: str | None = None
) -> ProviderChoice:
    """The provider to use: `name` if given, else the active profile, else the first profile,
    else the environment (OPENAI_BASE_URL, OPENAI_ORG_ID; the key from OPENAI_API_KEY).

    Raises errors.ConfigError when `name` names no profile.
    """
    providers = settings.providers
    if name is None:
        name = providers.active or (providers.profiles[0].name if providers.profiles else None)
    if name is None:
        return _from_environment(env)
    profile = providers.profile(name)
    if profile is not None:
        return choice_for_profile(profile)
    if name == ENV_PROVIDER_NAME:
        return _from_environment(env)
    known = ", ".join(p.name for p in providers.profiles) or "none yet"
    raise errors.ConfigError(
        f"there is no provider profile named {name!r}",
        headline="Unknown provider",
        hint=f"Use one of the configured profiles ({known}) or add one in Settings.",
    )


def _from_environment(env: Mapping[str, str]) -> ProviderChoice:
    return ProviderChoice(
        name=ENV_PROVIDER_NAME,
        kind="openai",
        base_url=(env.get("OPENAI_BASE_URL") or "").strip() or OPENAI_BASE_URL,
        organization=(env.get("OPENAI_ORG_ID") or "").strip() or None,
        key_order=(KeySource.ENVIRONMENT, KeySource.KEYRING),
        from_profile=False,
    )


def choice_for_profile(profile: ProviderProfile) -> ProviderChoice:
    """How `profile` is reached, saved in settings or not (a profile being edited)."""
    base_url = profile.base_url or KIND_BASE_URLS[profile.kind]
    order: tuple[KeySource, ...] = (KeySource.KEYRING,)
    if profile.kind == "openai" and base_url.rstrip("/") == OPENAI_BASE_URL:
        # OPENAI_API_KEY is meant for api.openai.com; never send it to any other server.
        order = (KeySource.KEYRING, KeySource.ENVIRONMENT)
    if profile.kind in KEYLESS_KINDS:
        order = (KeySource.KEYRING, KeySource.NOT_NEEDED)
    return ProviderChoice(
        name=profile.name,
        kind=profile.kind,
        base_url=base_url,
        organization=profile.organization,
        extra_headers=profile.extra_headers,
        api_version=profile.api_version,
        deployment=profile.deployment,
        key_order=order,
    )
