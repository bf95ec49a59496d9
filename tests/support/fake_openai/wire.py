"""Wire format of the fake server: chunks, SSE framing per server dialect, error bodies, headers.

Shapes are copied from the recordings in /work/shared/fixtures (OpenAI 2024 and 2026, Azure)
and from what llama.cpp and LiteLLM are known to send.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

DIALECTS = ("openai", "openai-2026", "azure", "llama.cpp", "litellm")


@dataclass(frozen=True)
class Dialect:
    """How one kind of server frames a stream."""

    name: str
    separator: bytes = b"\n\n"
    done: bool = True  # ends with `data: [DONE]`
    usage_chunk: bool = True  # honours stream_options.include_usage
    usage_null: bool = False  # `"usage": null` on every chunk when usage was asked for
    obfuscation: bool = False
    logprobs_field: bool = True
    azure_filters: bool = False  # prompt_filter_results preamble, content_filter_results


_DIALECTS = {
    "openai": Dialect("openai"),
    "litellm": Dialect("litellm"),
    "openai-2026": Dialect("openai-2026", usage_null=True, obfuscation=True, logprobs_field=False),
    "azure": Dialect(
        "azure", separator=b"\n\n\n", done=False, obfuscation=True, azure_filters=True
    ),
    "llama.cpp": Dialect("llama.cpp", usage_chunk=False, logprobs_field=False),
}


def dialect(name: str) -> Dialect:
    try:
        return _DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown dialect {name!r}; one of {', '.join(DIALECTS)}") from None


_SAFE = {"filtered": False, "severity": "safe"}
_FILTERS = {"hate": _SAFE, "self_harm": _SAFE, "sexual": _SAFE, "violence": _SAFE}


def new_id(prefix: str, length: int = 29) -> str:
    return prefix + secrets.token_hex(length)[:length]


class ChunkMaker:
    """Builds the chat.completion.chunk objects of one response in a dialect's shape."""

    def __init__(self, dia: Dialect, model: str, *, usage_requested: bool) -> None:
        self.dialect = dia
        self.model = model
        self.usage_requested = usage_requested
        self.id = new_id("chatcmpl-")
        self.created = int(time.time())

    def _base(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
        }
        if self.dialect.name == "openai-2026":
            chunk["service_tier"] = "default"
            chunk["system_fingerprint"] = None
        elif self.dialect.name == "llama.cpp":
            chunk["system_fingerprint"] = "b4500-fake"
        else:
            chunk["system_fingerprint"] = "fp_fake0001"
        chunk["choices"] = choices
        if self.dialect.usage_null and self.usage_requested:
            chunk["usage"] = None
        if self.dialect.obfuscation:
            chunk["obfuscation"] = secrets.token_urlsafe(6)[: 4 + secrets.randbelow(7)]
        return chunk

    def _choice(self, index: int, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": index, "delta": delta}
        if self.dialect.azure_filters:
            choice["content_filter_results"] = _FILTERS if delta.get("content") else {}
        if self.dialect.logprobs_field:
            choice["logprobs"] = None
        choice["finish_reason"] = finish
        return choice

    def preamble(self) -> dict[str, Any] | None:
        """Azure's first event: prompt filter results, empty choices, id and model."""
        if not self.dialect.azure_filters:
            return None
        return {
            "choices": [],
            "created": 0,
            "id": "",
            "model": "",
            "object": "",
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": _FILTERS}],
        }

    def role(self, index: int, *, refusal: bool = False) -> dict[str, Any]:
        delta: dict[str, Any] = {"role": "assistant"}
        if refusal:
            delta.update(content=None, refusal="")
        else:
            delta.update(content="", refusal=None)
        return self._base([self._choice(index, delta, None)])

    def content(self, index: int, text: str, *, refusal: bool = False) -> dict[str, Any]:
        delta = {"refusal": text} if refusal else {"content": text}
        return self._base([self._choice(index, delta, None)])

    def finish(self, index: int, reason: str) -> dict[str, Any]:
        return self._base([self._choice(index, {}, reason)])

    def usage(self, prompt_tokens: int, completion_tokens: int) -> dict[str, Any] | None:
        if not (self.usage_requested and self.dialect.usage_chunk):
            return None
        chunk = self._base([])
        chunk["usage"] = usage_body(prompt_tokens, completion_tokens)
        return chunk


def usage_body(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def sse_event(data: dict[str, Any] | str, dia: Dialect) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return b"data: " + payload.encode() + dia.separator


def completion_body(
    model: str, texts: list[str], finish: str | None, prompt_tokens: int, completion_tokens: int
) -> dict[str, Any]:
    """A non-streamed chat.completion object."""
    return {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": i,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": finish,
            }
            for i, text in enumerate(texts)
        ],
        "usage": usage_body(prompt_tokens, completion_tokens),
        "system_fingerprint": "fp_fake0001",
    }


# -- headers ----------------------------------------------------------------------------------


def common_headers() -> dict[str, str]:
    """What OpenAI sends with every reply (names from the 2026 recording)."""
    return {
        "openai-organization": "fake-org",
        "openai-processing-ms": "7",
        "openai-project": "fake-project",
        "openai-version": "2020-10-01",
        "x-request-id": "req_" + secrets.token_hex(16),
    }


def ratelimit_headers(*, exhausted: bool = False) -> dict[str, str]:
    return {
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-limit-tokens": "50000000",
        "x-ratelimit-remaining-requests": "0" if exhausted else "9999",
        "x-ratelimit-remaining-tokens": "49999975",
        "x-ratelimit-reset-requests": "6ms",
        "x-ratelimit-reset-tokens": "0s",
    }


# -- error bodies -----------------------------------------------------------------------------


def openai_error(
    message: str, type_: str | None, code: str | None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def azure_error(code: str, message: str) -> dict[str, Any]:
    """Azure's data-plane error body: a code (often the HTTP status as text) and a message."""
    return {"error": {"code": code, "message": message}}


AZURE_ACCESS_DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide "
    "a valid key for an active subscription and use a correct regional API endpoint for your "
    "resource."
)
AZURE_NO_DEPLOYMENT = (
    "The API deployment for this resource does not exist. If you created the deployment within "
    "the last 5 minutes, please wait a moment and try again."
)


def llamacpp_error(status: int, message: str, type_: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "type": type_, **extra}}


def masked_key(key: str) -> str:
    """How OpenAI echoes a wrong key: short keys verbatim (see the recording), long ones masked."""
    if len(key) <= 12:
        return key
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


CLOUDFLARE_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n"
)
