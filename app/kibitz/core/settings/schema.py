"""The settings schema: every section, default, range and help text in one place.

Read settings by attribute (`settings.chat.stall_timeout_s`). Every optional field defaults to
None, which means "not set": the server's default for request parameters, the system's for UI
values. TOML has no null, so None is written by leaving the key out.

Each section is defined in its own module under sections/; this module gathers them into
`Settings`, lists them (SECTIONS) and describes each scalar setting (SettingSpec). Import the
sections from here (or from kibitz.core.settings), not from sections/.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_origin

from kibitz.core.settings.fields import (
    FieldInfo,
    FieldType,
    InvalidSettingError,
    coerce,
    describe,
    field_info,
    field_type,
    parse_text,
)
from kibitz.core.settings.sections.chat import ChatSettings, ImageDetail
from kibitz.core.settings.sections.output_schemas import OutputSchema, SchemasSettings
from kibitz.core.settings.sections.prompt_presets import Preset, PresetsSettings
from kibitz.core.settings.sections.provider_profiles import (
    ProviderKind,
    ProviderProfile,
    ProvidersSettings,
)
from kibitz.core.settings.sections.request_defaults import (
    MAX_CHOICES,
    MAX_STOP_SEQUENCES,
    RequestDefaults,
)
from kibitz.core.settings.sections.tool_servers import (
    McpServer,
    McpTransport,
    ToolPolicy,
    ToolsSettings,
)
from kibitz.core.settings.sections.ui import QuickAskPrefill, SendKey, Theme, UiSettings

__all__ = [
    "MAX_CHOICES",
    "MAX_STOP_SEQUENCES",
    "SCHEMA_VERSION",
    "SECTIONS",
    "ChatSettings",
    "ImageDetail",
    "McpServer",
    "McpTransport",
    "OutputSchema",
    "Preset",
    "PresetsSettings",
    "ProviderKind",
    "ProviderProfile",
    "ProvidersSettings",
    "QuickAskPrefill",
    "RequestDefaults",
    "SchemasSettings",
    "SendKey",
    "SettingSpec",
    "Settings",
    "Theme",
    "ToolPolicy",
    "ToolsSettings",
    "UiSettings",
    "setting_specs",
    "spec_for",
]

SCHEMA_VERSION = 2


@dataclass(frozen=True, slots=True)
class Settings:
    """All settings. Immutable: change one with `with_value` or `dataclasses.replace`."""

    defaults: RequestDefaults = field(default_factory=RequestDefaults)
    providers: ProvidersSettings = field(default_factory=ProvidersSettings)
    chat: ChatSettings = field(default_factory=ChatSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    presets: PresetsSettings = field(default_factory=PresetsSettings)
    tools: ToolsSettings = field(default_factory=ToolsSettings)
    schemas: SchemasSettings = field(default_factory=SchemasSettings)

    def with_value(self, path: str, value: object) -> Settings:
        """Return a copy with one setting changed; the generic setter for the dialog and CLI.

        Raises InvalidSettingError (an errors.InvalidValueError) naming the setting, the
        value and what is allowed.
        """
        section_name, name = _split(path)
        section = getattr(self, section_name)
        try:
            new_section = dataclasses.replace(section, **{name: value})
        except TypeError as exc:  # a field that does not exist
            raise _unknown(path) from exc
        return dataclasses.replace(self, **{section_name: new_section})

    def with_text(self, path: str, text: str) -> Settings:
        """`with_value` for what a user typed: "0.7", "true", "none", a JSON list."""
        spec = spec_for(path)
        return self.with_value(path, parse_text(path, spec.type, spec.info, text))

    def value_at(self, path: str) -> Any:
        """The generic getter matching `with_value` (`kibitz config get`)."""
        section_name, name = _split(path)
        spec_for(path)
        return getattr(getattr(self, section_name), name)

    def with_profile(self, profile: ProviderProfile) -> Settings:
        """Add a provider profile, or replace the one with the same name."""
        others = tuple(p for p in self.providers.profiles if p.name != profile.name)
        if len(others) == len(self.providers.profiles):
            profiles = (*others, profile)
        else:
            profiles = tuple(
                profile if p.name == profile.name else p for p in self.providers.profiles
            )
        return dataclasses.replace(
            self, providers=dataclasses.replace(self.providers, profiles=profiles)
        )

    def with_server(self, server: McpServer) -> Settings:
        """Add an MCP server, or replace the one with the same name (keeping its place)."""
        servers = self.tools.servers
        if any(s.name == server.name for s in servers):
            servers = tuple(server if s.name == server.name else s for s in servers)
        else:
            servers = (*servers, server)
        return dataclasses.replace(self, tools=dataclasses.replace(self.tools, servers=servers))

    def without_server(self, name: str) -> Settings:
        servers = tuple(s for s in self.tools.servers if s.name != name)
        return dataclasses.replace(self, tools=dataclasses.replace(self.tools, servers=servers))

    def without_profile(self, name: str) -> Settings:
        profiles = tuple(p for p in self.providers.profiles if p.name != name)
        active = None if self.providers.active == name else self.providers.active
        return dataclasses.replace(self, providers=ProvidersSettings(profiles, active))


SECTIONS: Mapping[str, type[Any]] = {
    "defaults": RequestDefaults,
    "providers": ProvidersSettings,
    "chat": ChatSettings,
    "ui": UiSettings,
    "presets": PresetsSettings,
    "tools": ToolsSettings,
    "schemas": SchemasSettings,
}


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One scalar setting as the settings dialog and `kibitz config` present it."""

    path: str
    type: FieldType
    info: FieldInfo
    default: Any

    @property
    def allowed(self) -> str:
        return describe(self.type, self.info)

    @property
    def choices(self) -> tuple[str, ...]:
        base = self.type.base
        return tuple(base.__args__) if get_origin(base) is Literal else ()

    def check(self, value: object) -> object:
        """Validate one value without building a Settings."""
        return coerce(self.path, self.type, self.info, value)


def setting_specs() -> Iterator[SettingSpec]:
    """Every setting a single value can hold, in schema order (profiles are edited as records)."""
    for section_name, cls in SECTIONS.items():
        defaults = cls()
        for f in dataclasses.fields(cls):
            ft = field_type(cls, f.name)
            if get_origin(ft.base) is tuple and ft.base.__args__[0] is not str:
                continue
            default = getattr(defaults, f.name)
            yield SettingSpec(f"{section_name}.{f.name}", ft, field_info(f), default)


def spec_for(path: str) -> SettingSpec:
    for spec in setting_specs():
        if spec.path == path:
            return spec
    raise _unknown(path)


def _split(path: str) -> tuple[str, str]:
    section, _, name = path.partition(".")
    if section not in SECTIONS or not name or "." in name:
        raise _unknown(path)
    return section, name


def _unknown(path: str) -> InvalidSettingError:
    known = ", ".join(s.path for s in setting_specs())
    return InvalidSettingError(
        path, path, f"a known setting ({known})", reason="there is no such setting"
    )
