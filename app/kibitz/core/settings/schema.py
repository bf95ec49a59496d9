"""The settings schema: every section, default, range and help text in one place.

Read settings by attribute (`settings.chat.stall_timeout_s`). Every optional field defaults to
None, which means "not set": the server's default for request parameters, the system's for UI
values. TOML has no null, so None is written by leaving the key out.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Literal, get_origin
from urllib.parse import urlsplit

from kibitz.core.settings.fields import (
    FieldInfo,
    FieldType,
    InvalidSettingError,
    coerce,
    describe,
    field_info,
    field_type,
    meta,
    parse_text,
    validate_section,
)
from kibitz.core.types import ReasoningEffort, RequestParams, ResponseFormat

SCHEMA_VERSION = 2

ProviderKind = Literal[
    "openai", "azure", "openrouter", "ollama", "lmstudio", "llamacpp", "vllm", "custom"
]
Theme = Literal["system", "light", "dark"]
SendKey = Literal["enter", "ctrl+enter"]
QuickAskPrefill = Literal["none", "clipboard", "selection"]
ImageDetail = Literal["auto", "low", "high"]
McpTransport = Literal["stdio", "http", "sse"]
ToolPolicy = Literal["ask", "allow", "never"]

# n > 1 asks for several alternative replies in one request. The API allows up to 128; past a
# handful they cannot be compared side by side and they multiply the cost, so the UI stops at 8.
MAX_CHOICES = 8
# The API accepts at most 4 stop sequences.
MAX_STOP_SEQUENCES = 4
_INT64 = 2**63

# Headers that carry credentials: a key typed here would sit in settings.toml in plain text.
_SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "proxy-authorization"})
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _check_url(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{value!r} is not an http(s) URL"
    return None


def _check_headers(value: object) -> str | None:
    if not isinstance(value, Mapping):
        return None
    for name in value:
        if not _HEADER_NAME.match(name):
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
class RequestDefaults:
    """Request parameters for new conversations; a conversation can override each one."""

    SECTION: ClassVar[str] = "defaults"

    model: str = field(
        default="gpt-4o-mini",
        metadata=meta(
            "Model for new conversations (for Azure: the deployment name).",
            label="Model",
            nonempty=True,
        ),
    )
    temperature: float | None = field(
        default=None,
        metadata=meta(
            "Randomness: 0 is focused and repeatable, 2 very random.",
            label="Temperature",
            min=0,
            max=2,
        ),
    )
    top_p: float | None = field(
        default=None,
        metadata=meta(
            "Nucleus sampling: only the most likely tokens up to this mass.",
            label="Top p",
            min=0,
            max=1,
        ),
    )
    max_tokens: int | None = field(
        default=None,
        metadata=meta(
            "Longest reply, in tokens; also the room kept for the reply.", label="Max tokens", min=1
        ),
    )
    stop: tuple[str, ...] | None = field(
        default=None,
        metadata=meta(
            "Texts that end the reply.", label="Stop sequences", max_items=MAX_STOP_SEQUENCES
        ),
    )
    presence_penalty: float | None = field(
        default=None,
        metadata=meta(
            "Push toward new topics (positive values).", label="Presence penalty", min=-2, max=2
        ),
    )
    frequency_penalty: float | None = field(
        default=None,
        metadata=meta(
            "Discourage repeating the same words.", label="Frequency penalty", min=-2, max=2
        ),
    )
    seed: int | None = field(
        default=None,
        metadata=meta(
            "Ask for repeatable sampling (best effort).", label="Seed", min=-_INT64, max=_INT64 - 1
        ),
    )
    n: int | None = field(
        default=None,
        metadata=meta(
            "How many alternative replies to ask for.",
            label="Replies per request (n)",
            min=1,
            max=MAX_CHOICES,
        ),
    )
    response_format: ResponseFormat | None = field(
        default=None,
        metadata=meta("json_object forces the reply to be a JSON object.", label="Response format"),
    )
    reasoning_effort: ReasoningEffort | None = field(
        default=None,
        metadata=meta(
            "How long a reasoning model thinks before it answers (none: not at all). "
            "Models without reasoning may refuse it.",
            label="Reasoning effort",
        ),
    )

    def __post_init__(self) -> None:
        validate_section(self)

    def to_request_params(self) -> RequestParams:
        return RequestParams(**{f.name: getattr(self, f.name) for f in dataclasses.fields(self)})


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
            check=_check_url,
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


def _check_preset_name(value: object) -> str | None:
    if isinstance(value, str) and (value != value.strip() or len(value) > 80):
        return f"{value!r}: at most 80 characters, no spaces at either end"
    return None


@dataclass(frozen=True, slots=True)
class Preset:
    """A named system prompt."""

    SECTION: ClassVar[str] = "presets.items"

    name: str = field(
        metadata=meta("A name for this system prompt.", nonempty=True, check=_check_preset_name)
    )
    text: str = field(default="", metadata=meta("The system prompt itself."))

    def __post_init__(self) -> None:
        validate_section(self)


@dataclass(frozen=True, slots=True)
class PresetsSettings:
    SECTION: ClassVar[str] = "presets"

    items: tuple[Preset, ...] = field(default=(), metadata=meta("System-prompt presets."))
    default: str | None = field(
        default=None, metadata=meta("The preset new conversations start with; none: no prompt.")
    )

    def __post_init__(self) -> None:
        validate_section(self)
        names = [p.name for p in self.items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidSettingError(
                "presets.items",
                duplicates,
                "unique preset names",
                reason=f"preset names must be unique; used twice: {', '.join(duplicates)}",
            )
        if self.default is not None and self.default not in names:
            raise InvalidSettingError(
                "presets.default",
                self.default,
                f"a preset name ({', '.join(names) or 'none exist'})",
                reason=f"{self.default!r} names no preset",
            )

    def preset(self, name: str) -> Preset | None:
        return next((p for p in self.items if p.name == name), None)


def _check_schema_name(value: object) -> str | None:
    if isinstance(value, str) and (value != value.strip() or len(value) > 64):
        return f"{value!r}: at most 64 characters, no spaces at either end"
    return None


def _check_schema_json(value: object) -> str | None:
    # The cheap part only (JSON, an object schema at the root): a settings file loads without
    # the JSON Schema library; Settings → Schemas runs the whole check before it saves.
    if not isinstance(value, str):
        return None
    from kibitz.core.chat.structured_output import parse_schema

    return parse_schema(value)[1]


@dataclass(frozen=True, slots=True)
class OutputSchema:
    """A named JSON Schema a conversation can ask replies to follow (structured output)."""

    SECTION: ClassVar[str] = "schemas.items"

    name: str = field(
        metadata=meta("A name for this schema.", nonempty=True, check=_check_schema_name)
    )
    schema: str = field(
        default='{"type": "object"}',
        metadata=meta("The JSON Schema, as JSON text.", check=_check_schema_json),
    )
    strict: bool = field(
        default=True,
        metadata=meta("Ask the server to follow the schema exactly (OpenAI's strict mode)."),
    )

    def __post_init__(self) -> None:
        validate_section(self)


@dataclass(frozen=True, slots=True)
class SchemasSettings:
    SECTION: ClassVar[str] = "schemas"

    items: tuple[OutputSchema, ...] = field(
        default=(), metadata=meta("JSON Schemas for structured output.")
    )

    def __post_init__(self) -> None:
        validate_section(self)
        names = [s.name for s in self.items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidSettingError(
                "schemas.items", duplicates, "unique schema names",
                reason=f"schema names must be unique; used twice: {', '.join(duplicates)}",
            )  # fmt: skip

    def schema(self, name: str) -> OutputSchema | None:
        return next((s for s in self.items if s.name == name), None)


@dataclass(frozen=True, slots=True)
class ChatSettings:
    SECTION: ClassVar[str] = "chat"

    stall_timeout_s: float = field(
        default=60.0,
        metadata=meta(
            "Give up on a reply when the server sends nothing for this long.",
            min=5,
            max=3600,
            unit="seconds",
        ),
    )
    request_timeout_s: float = field(
        default=600.0,
        metadata=meta(
            "How long one request may take before it fails.", min=5, max=3600, unit="seconds"
        ),
    )
    max_retries: int = field(
        default=3,
        metadata=meta(
            "Retries for rate limits, server errors and dropped connections.", min=0, max=10
        ),
    )
    auto_title: bool = field(
        default=True, metadata=meta("Name new conversations from their first exchange.")
    )
    context_reserve_tokens: int = field(
        default=2048,
        metadata=meta(
            "Room kept for the reply when old messages are trimmed to fit the model "
            "(max_tokens, when set, is used instead).",
            min=0,
            max=1_000_000,
            unit="tokens",
        ),
    )
    unknown_context_window: int = field(
        default=8192,
        metadata=meta(
            "Context window assumed for models Kibitz does not know (local models).",
            min=256,
            max=10_000_000,
            unit="tokens",
        ),
    )
    image_detail: ImageDetail = field(
        default="auto",
        metadata=meta(
            "How closely the model looks at images: low is cheaper (a fixed 85 tokens an "
            "image on OpenAI), high reads small print, auto lets the server choose."
        ),
    )

    def __post_init__(self) -> None:
        validate_section(self)


@dataclass(frozen=True, slots=True)
class UiSettings:
    SECTION: ClassVar[str] = "ui"

    theme: Theme = field(default="system", metadata=meta("Colour theme."))
    font_size: int | None = field(
        default=None, metadata=meta("Text size of the conversation.", min=6, max=72, unit="points")
    )
    send_key: SendKey = field(
        default="enter", metadata=meta("Which key sends; the other one starts a new line.")
    )
    close_to_tray: bool = field(
        default=False, metadata=meta("Closing the window keeps Kibitz running in the tray.")
    )
    hotkey: str = field(
        default="ctrl+alt+space",
        metadata=meta("Global shortcut for the quick-ask window; empty turns it off."),
    )
    quick_ask_prefill: QuickAskPrefill = field(
        default="none",
        metadata=meta(
            "Fill the quick-ask input from the clipboard or the selected text when it opens."
        ),
    )
    start_at_login: bool = field(
        default=False, metadata=meta("Start Kibitz in the tray when you log in.")
    )
    render_math: bool = field(default=True, metadata=meta("Render LaTeX math in messages."))

    def __post_init__(self) -> None:
        validate_section(self)


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_server_name(value: object) -> str | None:
    if isinstance(value, str) and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", value):
        return (
            f"{value!r}: letters, digits, '_', '.' and '-' only (at most 64, starting with a "
            "letter or digit); the model sees it in tool names"
        )
    return None


def _check_env_names(value: object) -> str | None:
    if isinstance(value, tuple):
        for name in value:
            if isinstance(name, str) and not _ENV_NAME.match(name):
                return f"{name!r} is not an environment variable name"
    return None


def _check_header_names(value: object) -> str | None:
    if isinstance(value, tuple):
        for name in value:
            if isinstance(name, str) and not _HEADER_NAME.match(name):
                return f"header name {name!r} is not a valid HTTP header name"
    return None


def _check_tool_policies(value: object) -> str | None:
    if isinstance(value, Mapping):
        for tool, policy in value.items():
            if policy not in ("ask", "allow", "never"):
                return f"tool {tool!r}: {policy!r} is not ask, allow or never"
    return None


@dataclass(frozen=True, slots=True)
class McpServer:
    """One MCP server. Its env values and header values are not here: they live in the
    keyring (kibitz.core.tools.server_secrets), one entry per name listed below."""

    SECTION: ClassVar[str] = "tools.servers"

    name: str = field(
        metadata=meta(
            "A name for this server; its tools are told apart by it.",
            nonempty=True,
            check=_check_server_name,
        )
    )
    transport: McpTransport = field(
        default="stdio",
        metadata=meta(
            "stdio (a command Kibitz starts), http (streamable HTTP) or sse (the older "
            "HTTP+SSE transport)."
        ),
    )
    command: str | None = field(default=None, metadata=meta("The program to start (stdio)."))
    args: tuple[str, ...] = field(default=(), metadata=meta("Its arguments (stdio)."))
    env_names: tuple[str, ...] = field(
        default=(),
        metadata=meta(
            "Environment variables set for it; their values are kept in the system keyring.",
            check=_check_env_names,
        ),
    )
    url: str | None = field(
        default=None, metadata=meta("The server's URL (http, sse).", check=_check_url)
    )
    header_names: tuple[str, ...] = field(
        default=(),
        metadata=meta(
            "HTTP headers sent to it; their values are kept in the system keyring.",
            check=_check_header_names,
        ),
    )
    enabled: bool = field(default=True, metadata=meta("Offer this server's tools to models."))
    policy: ToolPolicy = field(
        default="ask",
        metadata=meta("Whether its tools run without asking (a destructive tool always asks)."),
    )
    tool_policies: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}),
        metadata=meta(
            "Per tool (its name on the server): ask, allow or never; overrides the server's.",
            check=_check_tool_policies,
        ),
    )

    def __post_init__(self) -> None:
        validate_section(self)
        if self.transport == "stdio" and not (self.command or "").strip():
            raise InvalidSettingError(
                f"tools.{self.name}.command", self.command, "a program to start",
                reason="a stdio server needs a command",
            )  # fmt: skip
        if self.transport in ("http", "sse") and self.url is None:
            raise InvalidSettingError(
                f"tools.{self.name}.url", None, "an http(s) URL",
                reason=f"an {self.transport} server needs a URL",
            )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ToolsSettings:
    SECTION: ClassVar[str] = "tools"

    servers: tuple[McpServer, ...] = field(
        default=(), metadata=meta("The MCP servers whose tools models may call.")
    )
    allow_read_only: bool = field(
        default=False,
        metadata=meta(
            "Run tools that declare themselves read-only without asking.",
            label="Allow read-only tools without asking",
        ),
    )
    call_timeout_s: float = field(
        default=60.0,
        metadata=meta(
            "How long one tool call may take before it is stopped and the model told.",
            min=1,
            max=3600,
            unit="s",
        ),
    )

    def __post_init__(self) -> None:
        validate_section(self)
        names = [s.name for s in self.servers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidSettingError(
                "tools.servers", duplicates, "unique server names",
                reason=f"server names must be unique; used twice: {', '.join(duplicates)}",
            )  # fmt: skip

    def server(self, name: str) -> McpServer | None:
        return next((s for s in self.servers if s.name == name), None)


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
