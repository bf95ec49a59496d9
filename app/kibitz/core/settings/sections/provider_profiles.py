"""The [providers] section: the servers Kibitz knows (their keys live in the keyring)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar, Literal

from kibitz.core.settings.fields import InvalidSettingError, meta, validate_section
from kibitz.core.settings.sections.checks import HEADER_NAME, check_url

ProviderKind = Literal[
    "openai", "azure", "openrouter", "ollama", "lmstudio", "llamacpp", "vllm", "custom"
]

# Headers that carry credentials: a key typed here would sit in settings.toml in plain text.
_SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "proxy-authorization"})


def _check_headers(value: object) -> str | None:
    if not isinstance(value, Mapping):
        return None
    for name in value:
        if not HEADER_NAME.match(name):
            return f"header name {name!r} is not a valid HTTP header name"
        if name.lower() in _SECRET_HEADERS:
            return (
                f"header {name!r} carries a key; keys are kept in the system keyring "
                "(`kibitz key set`), never in the settings file"
            )
    return None


def _check_profile_name(value: object) -> str | None:
    if isinstance(value, str) and (value != value.strip() or len(value) > 64):
        return f"{value!r}: at most 64 characters, no spaces at either end"
    return None


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    """One server to talk to. The key is not here: it lives in the keyring under `name`."""

    SECTION: ClassVar[str] = "providers.profiles"

    name: str = field(
        metadata=meta(
            "A name for this server; the keyring entry uses it.",
            nonempty=True,
            check=_check_profile_name,
        )
    )
    kind: ProviderKind = field(default="openai", metadata=meta("What kind of server this is."))
    base_url: str | None = field(
        default=None,
        metadata=meta(
            "The API's base URL, ending in /v1 (for Azure: the resource endpoint).",
            check=check_url,
        ),
    )
    organization: str | None = field(default=None, metadata=meta("OpenAI organization id."))
    extra_headers: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}),
        metadata=meta("Extra HTTP headers sent with every request.", check=_check_headers),
    )
    api_version: str | None = field(default=None, metadata=meta("Azure OpenAI API version."))
    deployment: str | None = field(default=None, metadata=meta("Azure deployment name."))

    def __post_init__(self) -> None:
        validate_section(self)
        if self.kind in ("azure", "custom") and self.base_url is None:
            raise InvalidSettingError(
                f"providers.{self.name}.base_url",
                None,
                "an http(s) URL",
                reason=f"a {self.kind} provider needs a base URL",
            )
        if self.kind == "azure" and self.api_version is None:
            raise InvalidSettingError(
                f"providers.{self.name}.api_version",
                None,
                "an Azure API version, e.g. 2024-10-21",
                reason="an Azure provider needs an API version",
            )


@dataclass(frozen=True, slots=True)
class ProvidersSettings:
    SECTION: ClassVar[str] = "providers"

    profiles: tuple[ProviderProfile, ...] = field(
        default=(), metadata=meta("The servers Kibitz knows.")
    )
    active: str | None = field(
        default=None,
        metadata=meta("The profile in use; none means the first profile, or the environment."),
    )

    def __post_init__(self) -> None:
        validate_section(self)
        names = [p.name for p in self.profiles]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidSettingError(
                "providers.profiles",
                duplicates,
                "unique profile names",
                reason=f"profile names must be unique; used twice: {', '.join(duplicates)}",
            )
        if self.active is not None and self.active not in names:
            allowed = ", ".join(names) if names else "none are configured"
            raise InvalidSettingError(
                "providers.active",
                self.active,
                f"a profile name ({allowed})",
                reason=f"{self.active!r} names no provider profile",
            )

    def profile(self, name: str) -> ProviderProfile | None:
        return next((p for p in self.profiles if p.name == name), None)
