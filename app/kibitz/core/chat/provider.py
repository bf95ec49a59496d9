"""Where and how to reach one OpenAI-compatible server: the ProviderConfig value."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_CONNECT_TIMEOUT = 10.0
# How long to wait for the response headers (and for any single read); the gap between
# stream chunks is watched separately by stream_chat's stall_timeout.
DEFAULT_READ_TIMEOUT = 120.0
DEFAULT_MAX_RETRIES = 3


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One provider profile. The key and extra headers are kept out of repr (and so logs).

    `base_url` None means the SDK's default: OPENAI_BASE_URL, else api.openai.com.
    `api_key` None means OPENAI_API_KEY. `max_retries` is ours: the SDK's own retries are
    always off so that every retry can be reported as an event.

    `kind` "azure" speaks Azure OpenAI's dialect: `base_url` is the resource endpoint
    (https://NAME.openai.azure.com), requests go to
    {endpoint}/openai/deployments/{deployment}/chat/completions?api-version={api_version} with
    the key in an `api-key` header. Without `deployment` the request's model names it.
    """

    name: str
    base_url: str | None = None
    kind: str = "openai"  # a settings ProviderKind; only "azure" changes how requests look
    api_version: str | None = None  # Azure
    deployment: str | None = None  # Azure
    api_key: str | None = field(default=None, repr=False)
    organization: str | None = None
    extra_headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES

    @property
    def is_azure(self) -> bool:
        return self.kind == "azure"

    def secrets(self) -> tuple[str, ...]:
        """Strings that must never appear in a message shown or logged."""
        values = [self.api_key or ""] + [value for _, value in self.extra_headers]
        return tuple(v for v in values if len(v) >= 4)
