"""What one HTTP request of a reply looked like on the wire, and what came back.

The request inspector shows it, and "Copy as cURL" repeats it. The body is the exact bytes the
HTTP client sent (taken in httpx's request hook, after the SDK serialised it), so what the
inspector shows is what the server received. No secret is kept: the key's header is written as
the environment variable a shell would fill in, and any other header or body text that holds
one of the provider's secrets is masked before an `Exchange` is made.

Recording works per request attempt: `recording()` sets a context variable that the client's
httpx hooks (`on_request`, `on_response`) fill in; the hooks run in the task that awaits the
request, so concurrent replies never see each other's record.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import re
import shlex
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kibitz.core.types import Usage

# The variables "Copy as cURL" names where the key went: a shell fills them in, the clipboard
# never holds the key.
OPENAI_KEY_VARIABLE = "$OPENAI_API_KEY"
AZURE_KEY_VARIABLE = "$AZURE_OPENAI_API_KEY"
MASK = "<secret>"
# Response headers worth showing: ids to quote to support, the server's own processing time,
# rate-limit budgets, and what says when to try again.
_KEPT_RESPONSE_HEADERS = re.compile(
    r"(x-request-id|request-id|apim-request-id|openai-processing-ms|openai-model|"
    r"openai-version|x-ratelimit-.*|ratelimit-.*|retry-after.*|content-type|server|"
    r"x-openrouter-.*|x-litellm-.*|azureml-model-.*)",
    re.IGNORECASE,
)
# Request headers left out of the record: transport details the cURL command sets itself.
_DROPPED_REQUEST_HEADERS = frozenset(
    {"content-length", "host", "connection", "accept-encoding", "cookie"}
)
# Inline attachments (base64 data URLs) are shortened for reading, never for cURL.
_DATA_URL = re.compile(r"data:([\w.+-]+/[\w.+-]+);base64,([A-Za-z0-9+/=]{64,})")


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request attempt: sent (`body` exactly as sent) and, unless it failed before any
    answer, answered (`status`, the headers that matter). Times are seconds after `sent_at`."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    body: str
    sent_at: float  # wall clock (time.time()) when the request went out
    status: int | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    headers_s: float | None = None  # until the response headers arrived
    first_token_s: float | None = None  # until the first streamed text or reasoning
    duration_s: float | None = None  # until the response ended (or failed)
    usage: Usage | None = None
    error: str | None = None  # what ended it, if it failed (secrets masked)

    def header(self, name: str) -> str | None:
        """A response header's value, by case-insensitive name."""
        wanted = name.lower()
        return next((v for k, v in self.response_headers if k.lower() == wanted), None)

    @property
    def request_id(self) -> str | None:
        return self.header("x-request-id") or self.header("apim-request-id")

    @property
    def tokens_per_second(self) -> float | None:
        """Output tokens over the time they took to stream (after the first token)."""
        if self.usage is None or self.first_token_s is None or self.duration_s is None:
            return None
        streaming = self.duration_s - self.first_token_s
        if streaming <= 0 or self.usage.completion_tokens <= 1:
            return None
        return (self.usage.completion_tokens - 1) / streaming

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "request_headers": [list(h) for h in self.request_headers],
            "body": self.body,
            "sent_at": self.sent_at,
            "status": self.status,
            "response_headers": [list(h) for h in self.response_headers],
            "headers_s": self.headers_s,
            "first_token_s": self.first_token_s,
            "duration_s": self.duration_s,
            "usage": None if self.usage is None else _usage_json(self.usage),
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Exchange:
        usage = data.get("usage")
        return cls(
            method=str(data.get("method", "POST")),
            url=str(data.get("url", "")),
            request_headers=tuple((str(k), str(v)) for k, v in data.get("request_headers", ())),
            body=str(data.get("body", "")),
            sent_at=float(data.get("sent_at", 0.0)),
            status=data.get("status"),
            response_headers=tuple((str(k), str(v)) for k, v in data.get("response_headers", ())),
            headers_s=data.get("headers_s"),
            first_token_s=data.get("first_token_s"),
            duration_s=data.get("duration_s"),
            usage=None if usage is None else Usage(**usage),
            error=data.get("error"),
        )


def _usage_json(usage: Usage) -> dict[str, int]:
    return {name: getattr(usage, name) for name in Usage.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class RequestNote:
    """What the client did to the conversation before sending: shown with the request and as
    one line on the reply it affected."""

    dropped_messages: int = 0  # oldest messages left out to fit the window
    window_tokens: int | None = None  # the window they were trimmed to
    estimated_prompt_tokens: int = 0

    def trimming_line(self) -> str | None:
        """ "3 oldest messages left out to fit 128k tokens", or None when nothing was."""
        if not self.dropped_messages:
            return None
        n = self.dropped_messages
        what = "oldest message" if n == 1 else "oldest messages"
        fit = f" to fit {_tokens_short(self.window_tokens)} tokens" if self.window_tokens else ""
        return f"{n} {what} left out{fit}"


def _tokens_short(tokens: int) -> str:
    if tokens >= 1000 and tokens % 1000 == 0:
        return f"{tokens // 1000}k"
    if tokens >= 1024 and tokens % 1024 == 0:
        return f"{tokens // 1024}k"
    return f"{tokens:,}"


# -- recording ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Recording:
    secrets: tuple[str, ...]
    azure: bool
    started: float = field(default_factory=time.monotonic)
    sent_at: float = 0.0
    method: str = ""
    url: str = ""
    request_headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    status: int | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    headers_s: float | None = None
    first_token_s: float | None = None
    usage: Usage | None = None
    sent: bool = False

    def elapsed(self) -> float:
        return time.monotonic() - self.started


_current: contextvars.ContextVar[_Recording | None] = contextvars.ContextVar(
    "kibitz_exchange", default=None
)


class ExchangeRecorder:
    """Records one request attempt; `exchange()` gives it once the request was sent."""

    def __init__(self, secrets: Sequence[str], *, azure: bool = False) -> None:
        self._rec = _Recording(tuple(s for s in secrets if s), azure)

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """While inside, the client's hooks record into this recorder (this task only)."""
        token = _current.set(self._rec)
        try:
            yield
        finally:
            _current.reset(token)

    def first_token(self) -> None:
        if self._rec.first_token_s is None and self._rec.sent:
            self._rec.first_token_s = self._rec.elapsed()

    def usage(self, usage: Usage) -> None:
        self._rec.usage = usage

    def exchange(self, error: str | None = None) -> Exchange | None:
        """The attempt as recorded; None when no request went out (it failed before)."""
        rec = self._rec
        if not rec.sent:
            return None
        return Exchange(
            method=rec.method,
            url=rec.url,
            request_headers=rec.request_headers,
            body=rec.body,
            sent_at=rec.sent_at,
            status=rec.status,
            response_headers=rec.response_headers,
            headers_s=rec.headers_s,
            first_token_s=rec.first_token_s,
            duration_s=rec.elapsed(),
            usage=rec.usage,
            error=None if error is None else mask(error, rec.secrets),
        )


async def on_request(request: Any) -> None:
    """httpx request hook: the request as it leaves (the body already serialised)."""
    rec = _current.get()
    if rec is None:
        return
    rec.started = time.monotonic()
    rec.sent_at = time.time()
    rec.method = str(request.method)
    rec.url = mask(str(request.url), rec.secrets)
    rec.request_headers = tuple(
        (name, _header_value(name, value, rec))
        for name, value in request.headers.multi_items()
        if name.lower() not in _DROPPED_REQUEST_HEADERS
    )
    content = request.content  # bytes: the SDK sends JSON bodies whole, not streamed
    rec.body = mask(content.decode("utf-8", "replace"), rec.secrets)
    rec.sent = True


async def on_response(response: Any) -> None:
    """httpx response hook: status and headers, as soon as they arrive (before the body)."""
    rec = _current.get()
    if rec is None:
        return
    rec.status = int(response.status_code)
    rec.headers_s = rec.elapsed()
    rec.response_headers = tuple(
        (name, mask(value, rec.secrets))
        for name, value in response.headers.items()
        if _KEPT_RESPONSE_HEADERS.fullmatch(name)
    )


def _header_value(name: str, value: str, rec: _Recording) -> str:
    lowered = name.lower()
    if lowered == "authorization" and value.lower().startswith("bearer "):
        return f"Bearer {OPENAI_KEY_VARIABLE}"
    if lowered == "api-key":
        return AZURE_KEY_VARIABLE
    return mask(value, rec.secrets)


def mask(text: str, secrets: Sequence[str]) -> str:
    """`text` with every secret replaced by MASK."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, MASK)
    return text


# -- showing and repeating ------------------------------------------------------------------------


def readable_body(body: str) -> str:
    """The body as indented JSON with inline attachments shortened (for reading only)."""
    try:
        text = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        text = body
    return _DATA_URL.sub(_shortened, text)


def _shortened(match: re.Match[str]) -> str:
    size = len(match.group(2)) * 3 // 4
    return f"data:{match.group(1)};base64,…({_size_text(size)} left out)"


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def curl_command(exchange: Exchange) -> str:
    """A shell command that sends the same request again; the key comes from the environment
    variable named in its header (the command holds no secret). The body goes in whole."""
    lines = [f"curl {shlex.quote(exchange.url)}"]
    if exchange.method.upper() != "POST":
        lines.append(f"-X {exchange.method.upper()}")
    for name, value in exchange.request_headers:
        if name.lower() in {"authorization", "api-key"}:
            # Double quotes: the shell fills in the variable.
            lines.append(f'-H "{name}: {value}"')
        elif name.lower().startswith(("x-stainless", "user-agent")):
            continue  # the SDK's own telemetry; the server does not need it
        else:
            lines.append(f"-H {shlex.quote(f'{name}: {value}')}")
    if '"stream": true' in exchange.body or '"stream":true' in exchange.body:
        lines.append("-N")  # print events as they arrive
    lines.append(f"--data-raw {shlex.quote(exchange.body)}")
    return " \\\n  ".join(lines)


def with_usage(exchange: Exchange, usage: Usage | None) -> Exchange:
    return exchange if usage is None else replace(exchange, usage=usage)
