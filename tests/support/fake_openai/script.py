"""Scripted behaviours of the fake server: replies, HTTP faults, replays, and how they are chosen.

A test queues steps on the server object (`server.script(...)`); a subprocess user queues the same
steps as JSON (`POST /_control/script`) or writes keywords into the last user message.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import tools, wire
from .tools import ToolCall


@dataclass(frozen=True)
class Reply:
    """A successful answer, streamed or not, optionally broken on purpose part way.

    `*_after` counts characters of content sent before the fault (0 = right after the role
    chunk). Pacing: `delay` seconds between chunks, or `chars_per_sec`.
    """

    text: str | None = None  # None: the default reply derived from the prompt
    words: int | None = None  # a default reply of this many words (long streams)
    texts: tuple[str, ...] | None = None  # one per choice when n > 1
    reasoning: str | None = None  # the model thinks this before it answers
    reasonings: tuple[str, ...] | None = None  # one per choice when n > 1
    shape: str | None = None  # how reasoning is sent (wire.REASONING_SHAPES); None: the dialect's
    cuts: tuple[int, ...] | None = None  # cut the content at these offsets (else chunk_size)
    refusal: bool = False  # send the text as delta.refusal
    chunk_size: int | None = None  # characters per chunk; None: word-sized pieces
    delay: float = 0.0
    chars_per_sec: float | None = None
    header_delay: float = 0.0  # wait before sending the status line
    finish_reason: str | None = "stop"  # None: end the stream without one
    dialect: str = "openai"
    model: str | None = None  # None: echo the requested model
    drop_after: int | None = None  # close the connection (FIN, or RST with reset=True)
    reset: bool = False
    malformed_after: int | None = None  # send a data: line that is not JSON
    stall_after: int | None = None  # stop sending for stall_for seconds
    stall_for: float = 30.0
    error_after: int | None = None  # send an in-stream {"error": ...} event and end
    done: bool | None = None  # send data: [DONE]; None: as the dialect does
    trailer_fault: str | None = None  # "drop" or "stall" after the finish chunks, before usage
    burst: bool = False  # gather the whole stream into one write (a backlog after a hiccup)
    # Calls the model makes after its text (None text: none), in the dialect's tool-call shape
    # (tools.py); a list, or dicts from the control channel, become a tuple of ToolCalls.
    tool_calls: tuple[ToolCall, ...] = ()

    def __post_init__(self) -> None:
        wire.dialect(self.dialect)  # fail early on a typo
        calls = tuple(ToolCall.from_json(c) for c in self.tool_calls or ())
        object.__setattr__(self, "tool_calls", calls)
        if self.shape is not None and self.shape not in wire.REASONING_SHAPES:
            shapes = ", ".join(wire.REASONING_SHAPES)
            raise ValueError(f"unknown reasoning shape {self.shape!r}; one of {shapes}")


@dataclass(frozen=True)
class HttpFault:
    """An error response: a status, a body (JSON object or text) and headers.

    `{model}` and `{key}` in the body are replaced by the requested model and the received key
    (masked as OpenAI does), so bodies read like the real ones.
    """

    status: int
    body: dict[str, Any] | str = ""
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str | None = None  # None: JSON for dict bodies, text/plain otherwise


@dataclass(frozen=True)
class Replay:
    """A recorded .sse body sent verbatim, one write per event."""

    path: Path
    delay: float = 0.0


Step = Reply | HttpFault | Replay


class Fault:
    """Ready-made faults in the shapes real servers send."""

    @staticmethod
    def http(
        status: int,
        body: dict[str, Any] | str | None = None,
        *,
        retry_after: float | None = None,
        retry_after_ms: float | None = None,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
    ) -> HttpFault:
        hdrs = dict(headers or {})
        if retry_after is not None:
            hdrs["retry-after"] = _num(retry_after)
        if retry_after_ms is not None:
            hdrs["retry-after-ms"] = _num(retry_after_ms)
        if body is None:
            body = wire.openai_error(f"Error {status}", "server_error", None)
        return HttpFault(status, body, tuple(hdrs.items()), content_type)

    @staticmethod
    def auth(dialect: str = "openai") -> HttpFault:
        if dialect == "llama.cpp":
            body = wire.llamacpp_error(401, "Invalid API Key", "authentication_error")
            return HttpFault(401, body)
        body = wire.openai_error(
            "Incorrect API key provided: {key}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            "invalid_api_key",
        )
        return HttpFault(401, body)

    @staticmethod
    def model_not_found(model: str = "{model}") -> HttpFault:
        body = wire.openai_error(
            f"The model `{model}` does not exist or you do not have access to it.",
            "invalid_request_error",
            "model_not_found",
        )
        return HttpFault(404, body)

    @staticmethod
    def context_length(dialect: str = "openai") -> HttpFault:
        if dialect == "llama.cpp":
            body = wire.llamacpp_error(
                400,
                "request (4476 tokens) exceeds the available context size (4096 tokens)",
                "exceed_context_size_error",
                n_prompt_tokens=4476,
                n_ctx=4096,
            )
        elif dialect == "vllm":
            body = {
                "object": "error",
                "message": "This model's maximum context length is 4096 tokens. However, you "
                "requested 5000 tokens (4000 in the messages, 1000 in the completion). "
                "Please reduce the length of the messages or completion.",
                "type": "BadRequestError",
                "param": None,
                "code": 400,
            }
        else:
            body = wire.openai_error(
                "This model's maximum context length is 128000 tokens. However, your messages "
                "resulted in 130412 tokens. Please reduce the length of the messages.",
                "invalid_request_error",
                "context_length_exceeded",
                "messages",
            )
        return HttpFault(400, body)

    @staticmethod
    def unsupported_param(param: str = "temperature") -> HttpFault:
        body = wire.openai_error(
            f"Unsupported parameter: '{param}' is not supported with this model.",
            "invalid_request_error",
            "unsupported_parameter",
            param,
        )
        return HttpFault(400, body)

    @staticmethod
    def rate_limit(
        retry_after: float | None = None,
        retry_after_ms: float | None = None,
        dialect: str = "openai",
    ) -> HttpFault:
        if dialect == "litellm":
            body = wire.openai_error(
                "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached "
                "for requests",
                "throttling_error",
                "429",
            )
            return HttpFault(429, body)
        body = wire.openai_error(
            "Rate limit reached for gpt-4o-mini in organization org-fake on requests per min "
            "(RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
            "requests",
            "rate_limit_exceeded",
        )
        hdrs = wire.ratelimit_headers(exhausted=True)
        if retry_after is not None:
            hdrs["retry-after"] = _num(retry_after)
        if retry_after_ms is not None:
            hdrs["retry-after-ms"] = _num(retry_after_ms)
        return HttpFault(429, body, tuple(hdrs.items()))

    @staticmethod
    def quota() -> HttpFault:
        body = wire.openai_error(
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            "insufficient_quota",
        )
        return HttpFault(429, body)

    @staticmethod
    def tools_not_supported(dialect: str = "openai") -> HttpFault:
        """A server or model that refuses `tools` (tools.REFUSAL_DIALECTS)."""
        status, body = tools.refusal(dialect)
        return HttpFault(status, body)

    @staticmethod
    def server_error(status: int = 500) -> HttpFault:
        message = (
            "The engine is currently overloaded, please try again later."
            if status == 503
            else "The server had an error while processing your request. Sorry about that!"
        )
        return HttpFault(status, wire.openai_error(message, "server_error", None))

    @staticmethod
    def html(status: int = 502) -> HttpFault:
        return HttpFault(status, wire.CLOUDFLARE_502, content_type="text/html")

    @staticmethod
    def text(status: int, text: str) -> HttpFault:
        return HttpFault(status, text, content_type="text/plain; charset=utf-8")

    @staticmethod
    def detail(status: int, detail: Any) -> HttpFault:
        """FastAPI-style body, as llama-cpp-python and other Python servers send."""
        return HttpFault(status, {"detail": detail})

    # stream faults are Replies that break on purpose
    @staticmethod
    def drop(after: int = 0, *, reset: bool = False, **reply: Any) -> Reply:
        return Reply(drop_after=after, reset=reset, **reply)

    @staticmethod
    def malformed(after: int = 0, **reply: Any) -> Reply:
        return Reply(malformed_after=after, **reply)

    @staticmethod
    def stall(after: int = 0, seconds: float = 30.0, **reply: Any) -> Reply:
        return Reply(stall_after=after, stall_for=seconds, **reply)

    @staticmethod
    def error_event(after: int = 0, **reply: Any) -> Reply:
        return Reply(error_after=after, **reply)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


_PRESETS = {
    "auth": Fault.auth,
    "model_not_found": Fault.model_not_found,
    "context_length": Fault.context_length,
    "unsupported_param": Fault.unsupported_param,
    "tools_not_supported": Fault.tools_not_supported,
    "rate_limit": Fault.rate_limit,
    "quota": Fault.quota,
    "server_error": Fault.server_error,
    "html": Fault.html,
    "text": Fault.text,
    "detail": Fault.detail,
    "http": Fault.http,
    "drop": Fault.drop,
    "malformed": Fault.malformed,
    "stall": Fault.stall,
    "error_event": Fault.error_event,
}


def step_from_json(spec: dict[str, Any]) -> Step:
    """The control channel's JSON form: {"kind": "reply"|"replay"|<preset>, ...arguments}."""
    spec = dict(spec)
    kind = spec.pop("kind", "reply")
    if kind == "reply":
        for name in ("texts", "reasonings", "cuts"):
            if spec.get(name) is not None:
                spec[name] = tuple(spec[name])
        # Keyword shorthand for one call: [[reply:tool=get_time,tool_args={"zone":"UTC"}]]
        tool, arguments = spec.pop("tool", None), spec.pop("tool_args", None)
        if tool is not None:
            spec["tool_calls"] = [ToolCall(str(tool), arguments or {})]
        return Reply(**spec)
    if kind == "replay":
        return Replay(Path(spec.pop("path")), **spec)
    if kind not in _PRESETS:
        raise ValueError(f"unknown step kind {kind!r}")
    preset: Any = _PRESETS[kind]
    result: Step = preset(**spec)
    return result


# -- keywords in the prompt ----------------------------------------------------------------------

KEYWORD = re.compile(r"\[\[(\w+):([^\]]*)\]\]")


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class KeywordStep:
    step: Step
    keyword: str  # the literal text, so the server can count its uses
    times: int | None  # fire at most this often (`times=N`), then the default reply


def step_from_keywords(prompt: str) -> tuple[KeywordStep | None, str]:
    """Read `[[fault:name,k=v]]` / `[[reply:k=v,...]]` from a prompt; return it and the rest."""
    found: KeywordStep | None = None
    for match in KEYWORD.finditer(prompt):
        kind, args = match.group(1), match.group(2)
        kwargs: dict[str, Any] = {}
        positional: list[str] = []
        for part in (p.strip() for p in args.split(",")):
            if "=" in part:
                key, _, val = part.partition("=")
                kwargs[key.strip()] = _value(val.strip())
            elif part:
                positional.append(part)
        times = kwargs.pop("times", None)
        if kind == "fault" and positional:
            step = step_from_json({"kind": positional[0], **kwargs})
        elif kind == "reply":
            step = step_from_json({"kind": "reply", **kwargs})
        else:
            continue
        found = KeywordStep(step, match.group(0), int(times) if times is not None else None)
    return found, KEYWORD.sub("", prompt).strip()


# -- default replies -----------------------------------------------------------------------------

_WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while"]
_WORDS += ["seven", "wizards", "quietly", "hex", "bright", "orange", "jellyfish", "near"]

CODE_REPLY = (
    "Here is a small example:\n\n"
    "```python\n"
    "def greet(name: str) -> str:\n"
    '    return f"Hello, {name}!"\n'
    "```\n\n"
    "Call `greet` with a **name**."
)


def default_reply(prompt: str, *, words: int | None = None) -> str:
    """The deterministic answer e2e tests can assert on."""
    if words is not None:
        return " ".join(_WORDS[i % len(_WORDS)] for i in range(words)) + "."
    if "code" in prompt.lower():
        return CODE_REPLY
    return f"You said: {prompt}"


def split_text(text: str, chunk_size: int | None) -> list[str]:
    """Pieces as a server sends them: word-sized (like tokens) or fixed-size."""
    if not text:
        return []
    if chunk_size:
        return [text[i : i + chunk_size] for i in range(0, len(text), chunk_size)]
    return re.findall(r"\s*\S+|\s+", text)


def split_at(text: str, cuts: tuple[int, ...]) -> list[str]:
    """`text` cut at these character offsets (a tag split at a chosen place)."""
    edges = [0, *sorted(c for c in set(cuts) if 0 < c < len(text)), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(edges) if b > a]


__all__ = [
    "Fault",
    "HttpFault",
    "Replay",
    "Reply",
    "Step",
    "default_reply",
    "split_at",
    "split_text",
    "step_from_json",
    "step_from_keywords",
]
