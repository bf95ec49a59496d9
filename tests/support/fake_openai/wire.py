"""Wire format of the fake server: chunks, SSE framing per server dialect, error bodies, headers.

Shapes are copied from the recordings in tests/fixtures/recordings (OpenAI 2024 and 2026, Azure)
and from what llama.cpp and LiteLLM are known to send.

Reasoning, and where each server's shape was seen (public recordings and server sources):

- deepseek (`reasoning_content`): pydantic/pydantic-ai
  tests/models/cassettes/test_deepseek/test_deepseek_model_thinking_stream.yaml (deepseek-reasoner,
  a real stream). Role chunk `{"role":"assistant","content":null,"reasoning_content":""}`;
  reasoning deltas `{"content":null,"reasoning_content":"…"}`, answer deltas
  `{"content":"…","reasoning_content":null}`; `"usage":null` on every chunk and the usage
  (with `completion_tokens_details.reasoning_tokens`) on the finish chunk itself, whose delta is
  `{"content":"","reasoning_content":null}`: no separate empty-choices usage chunk.
  Unstreamed: `message.reasoning_content` (opensolon/solon
  solon-projects/solon-ai/solon-ai/src/test/java/features/ai/DeepSeek.md).
- vllm (`reasoning`, and both fields in some builds): vllm-project/vllm issue #29408 (vLLM
  0.11, a pasted stream): role chunk `{"role":"assistant","content":"","reasoning_content":null}`
  with a top-level `"prompt_token_ids":null`, then deltas like
  `{"reasoning":"好的","reasoning_content":"好的"}`, the same text in both, and
  `"token_ids":null` in each choice; vllm-project/vllm-ascend issue #10940 (vLLM 0.17):
  `{"reasoning":"Thinking"}` alone. Deltas hold only the fields set
  (vllm/entrypoints/openai/engine/protocol.py DeltaMessage, dumped without unset fields);
  unstreamed `message.reasoning` (docs/features/reasoning_outputs.md). Usage the OpenAI way.
- openrouter (`reasoning` + `reasoning_details`): pydantic/pydantic-ai
  tests/models/cassettes/test_openrouter/test_openrouter_streaming_reasoning.yaml (a real
  stream): `: OPENROUTER PROCESSING` comment events; every delta has `"role":"assistant"` and
  `"content":""` while thinking; reasoning deltas
  `{"reasoning":"…","reasoning_details":[{"type":"reasoning.text","text":"…",...}]}` (the same
  text twice), `"reasoning":null,"reasoning_details":[]` otherwise; `native_finish_reason` in
  each choice; the usage chunk is not empty-choices but has a choice with an empty delta, and
  usage carries `completion_tokens_details.reasoning_tokens` and `cost`.
  test_openrouter_stream_with_reasoning.yaml (openai/o3) has only `reasoning.encrypted`.
- ollama (`reasoning`): ollama/ollama openai/openai.go (ToChunk: every delta is
  `{"role":"assistant","content":…,"reasoning":…}`, content `""` while thinking, reasoning left
  out when empty; no separate role chunk; `"system_fingerprint":"fp_ollama"`) and
  middleware/openai.go (include_usage: a last chunk with `choices: []`); unstreamed
  `message.reasoning`. A stream recorded from gpt-oss:20b in a comment of a Neovim plugin shows
  the same delta.
- llama.cpp (`reasoning_content`): ggml-org/llama.cpp tools/server/server-task.cpp (role chunk
  `{"role":"assistant","content":null}`; a delta holds `reasoning_content` or `content` only
  when not empty; the finish chunk has an empty delta) and server-chat.cpp; a real stream in
  openai-php/client issue #780 (`{"reasoning_content":" it"}` deltas, build b9554).
- think_tags (`<think>` in `content`): llama.cpp with reasoning_format none, ggml-org/llama.cpp
  issue #13867 (`{"content":"<think>Okay"}`: the tag and text in one delta); vLLM without a
  parser, vllm-project/vllm issue #34625 (`{"content":"<think>The","reasoning_content":null}`).
- think_close (only `</think>` in `content`): the same servers with a chat template that ends
  the prompt with `<think>` (DeepSeek-R1 distills, QwQ, Qwen3 thinking templates), so the
  output starts with the reasoning itself.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

DIALECTS = (
    "openai",
    "openai-2026",
    "azure",
    "llama.cpp",
    "litellm",
    "deepseek",
    "vllm",
    "openrouter",
    "ollama",
)
# How a reply's reasoning travels: in its own field (or both fields, as some vLLM builds send),
# or as <think>…</think> at the start of the content.
REASONING_SHAPES = ("reasoning_content", "reasoning", "both", "think_tags", "think_close")
# The shapes that put the reasoning into the content, in tags.
IN_CONTENT = ("think_tags", "think_close")


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
    reasoning_field: str = "reasoning_content"  # the shape of a reply with reasoning
    role_chunk: bool = True  # a first chunk with only the role (Ollama has none)
    usage_on_finish: bool = False  # usage rides on the finish chunk (DeepSeek)
    reasoning_tokens: bool = True  # usage has completion_tokens_details.reasoning_tokens


_DIALECTS = {
    "openai": Dialect("openai"),
    "litellm": Dialect("litellm"),
    "openai-2026": Dialect("openai-2026", usage_null=True, obfuscation=True, logprobs_field=False),
    "azure": Dialect(
        "azure", separator=b"\n\n\n", done=False, obfuscation=True, azure_filters=True
    ),
    "llama.cpp": Dialect(
        "llama.cpp", usage_chunk=False, logprobs_field=False, reasoning_tokens=False
    ),
    "deepseek": Dialect("deepseek", usage_null=True, usage_on_finish=True),
    "vllm": Dialect("vllm", reasoning_field="reasoning", reasoning_tokens=False),
    "openrouter": Dialect("openrouter", reasoning_field="reasoning"),
    "ollama": Dialect(
        "ollama",
        reasoning_field="reasoning",
        role_chunk=False,
        logprobs_field=False,
        reasoning_tokens=False,
    ),
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

    def __init__(
        self,
        dia: Dialect,
        model: str,
        *,
        usage_requested: bool,
        reasoning_shape: str | None = None,
    ) -> None:
        self.dialect = dia
        self.model = model
        self.usage_requested = usage_requested
        self.shape = reasoning_shape or dia.reasoning_field
        self.id = new_id("chatcmpl-")
        self.created = int(time.time())

    def _base(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
        }
        name = self.dialect.name
        if name == "openai-2026":
            chunk["service_tier"] = "default"
            chunk["system_fingerprint"] = None
        elif name == "llama.cpp":
            chunk["system_fingerprint"] = "b4500-fake"
        elif name == "ollama":
            chunk["system_fingerprint"] = "fp_ollama"
        elif name == "openrouter":
            chunk["provider"] = "FakeProvider"
        elif name != "vllm":
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
        if self.dialect.name == "openrouter":
            choice["native_finish_reason"] = finish
        elif self.dialect.name == "vllm":
            choice["token_ids"] = None
        return choice

    def chunk(self, index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        """A chunk of choice `index` carrying `delta` (tool calls build theirs in tools.py)."""
        return self._base([self._choice(index, delta, finish)])

    def preamble(self) -> list[dict[str, Any] | str]:
        """What comes before the first chunk: Azure's prompt filter results (empty choices, id
        and model), OpenRouter's keep-alive comments."""
        if self.dialect.name == "openrouter":
            return [": OPENROUTER PROCESSING", ": OPENROUTER PROCESSING"]
        if not self.dialect.azure_filters:
            return []
        return [
            {
                "choices": [],
                "created": 0,
                "id": "",
                "model": "",
                "object": "",
                "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": _FILTERS}],
            }
        ]

    def role(self, index: int, *, refusal: bool = False) -> dict[str, Any] | None:
        """The first chunk of a choice, with only the role; None where the server sends none."""
        name = self.dialect.name
        delta: dict[str, Any] = {"role": "assistant"}
        if not self.dialect.role_chunk:
            return None
        if refusal:
            delta.update(content=None, refusal="")
        elif name == "deepseek":
            delta.update(content=None, reasoning_content="")
        elif name == "llama.cpp":
            delta.update(content=None)
        elif name == "vllm":
            delta.update(content="", reasoning_content=None)
        elif name == "openrouter":
            delta.update(content="")
        else:
            delta.update(content="", refusal=None)
        chunk = self._base([self._choice(index, delta, None)])
        if name == "vllm":
            chunk["prompt_token_ids"] = None
        return chunk

    def content(self, index: int, text: str, *, refusal: bool = False) -> dict[str, Any]:
        delta: dict[str, Any] = {"refusal": text} if refusal else {"content": text}
        name = self.dialect.name
        if name == "deepseek":
            delta["reasoning_content"] = None
        elif name == "openrouter":
            delta = {"role": "assistant", **delta, "reasoning": None, "reasoning_details": []}
        elif name == "ollama":
            delta = {"role": "assistant", **delta}
        return self._base([self._choice(index, delta, None)])

    def reasoning(self, index: int, text: str) -> dict[str, Any]:
        """A piece of reasoning in its own field(s), in the reply's shape."""
        if self.shape == "reasoning_content":
            delta: dict[str, Any] = {"reasoning_content": text}
        elif self.shape == "reasoning":
            delta = {"reasoning": text}
        else:
            delta = {"reasoning": text, "reasoning_content": text}
        name = self.dialect.name
        if name == "deepseek":
            delta = {"content": None, **delta}
        elif name == "openrouter":
            detail = {"type": "reasoning.text", "text": text, "format": "unknown", "index": 0}
            delta = {"role": "assistant", "content": "", **delta, "reasoning_details": [detail]}
        elif name == "ollama":
            delta = {"role": "assistant", "content": "", **delta}
        return self._base([self._choice(index, delta, None)])

    def finish(
        self, index: int, reason: str, usage: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The choice's last chunk; DeepSeek's also carries the usage."""
        name = self.dialect.name
        delta: dict[str, Any] = {}
        if name == "deepseek":
            delta = {"content": "", "reasoning_content": None}
        elif name == "openrouter":
            delta = {"role": "assistant", "content": "", "reasoning": None, "reasoning_details": []}
        elif name == "ollama":
            delta = {"role": "assistant", "content": ""}
        elif name == "vllm":
            delta = {"content": ""}
        chunk = self._base([self._choice(index, delta, reason)])
        if usage is not None:
            chunk["usage"] = usage
        return chunk

    def usage_for_finish(self, usage: dict[str, Any]) -> dict[str, Any] | None:
        """The usage the last finish chunk carries, where the dialect puts it there."""
        if self.usage_requested and self.dialect.usage_on_finish:
            return usage
        return None

    def usage(self, usage: dict[str, Any]) -> dict[str, Any] | None:
        """The separate usage chunk, where the dialect sends one."""
        dia = self.dialect
        if not (self.usage_requested and dia.usage_chunk) or dia.usage_on_finish:
            return None
        if dia.name == "openrouter":
            # Not empty choices: one with an empty delta (see the module docstring).
            empty = {"role": "assistant", "content": ""}
            chunk = self._base([self._choice(0, empty, None)])
        else:
            chunk = self._base([])
        chunk["usage"] = usage
        return chunk

    def usage_body(
        self, prompt_tokens: int, completion_tokens: int, reasoning_tokens: int = 0
    ) -> dict[str, Any]:
        details = self.dialect.reasoning_tokens and reasoning_tokens > 0
        return usage_body(
            prompt_tokens,
            completion_tokens,
            reasoning_tokens if details else None,
            cost=self.dialect.name == "openrouter",
        )


def usage_body(
    prompt_tokens: int,
    completion_tokens: int,
    reasoning_tokens: int | None = None,
    *,
    cost: bool = False,
) -> dict[str, Any]:
    """`completion_tokens` includes the reasoning tokens, as OpenAI counts them."""
    body: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if cost:
        body["cost"] = 0.000669
        body["is_byok"] = False
    if reasoning_tokens is not None:
        body["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    return body


def sse_event(data: dict[str, Any] | str, dia: Dialect) -> bytes:
    if isinstance(data, str) and data.startswith(":"):
        return data.encode() + dia.separator  # an SSE comment (OpenRouter's keep-alive)
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return b"data: " + payload.encode() + dia.separator


def think_tagged(reasoning: str, text: str, shape: str = "think_tags") -> str:
    """The content of a model that thinks in tags, as Qwen and the R1 distills write it; with
    `think_close` the chat template put `<think>` into the prompt, so only `</think>` follows."""
    opening = "<think>\n" if shape == "think_tags" else ""
    return f"{opening}{reasoning}\n</think>\n\n{text}"


@dataclass(frozen=True)
class Answer:
    """One choice of an unstreamed reply."""

    text: str
    reasoning: str | None = None
    tool_calls: list[dict[str, Any]] | None = None  # message.tool_calls (tools.message_calls)


def completion_body(
    model: str,
    answers: list[Answer],
    finish: str | None,
    prompt_tokens: int,
    completion_tokens: int,
    *,
    dialect: Dialect | None = None,
    reasoning_shape: str | None = None,
    reasoning_tokens: int = 0,
) -> dict[str, Any]:
    """A non-streamed chat.completion object."""
    dia = dialect or _DIALECTS["openai"]
    shape = reasoning_shape or dia.reasoning_field
    choices = []
    for i, answer in enumerate(answers):
        message: dict[str, Any] = {"role": "assistant", "content": answer.text}
        if answer.tool_calls:
            message["content"] = answer.text or None
            message["tool_calls"] = answer.tool_calls
        if dia.name not in ("ollama", "llama.cpp", "deepseek"):
            message["refusal"] = None
        if answer.reasoning is not None:
            if shape in IN_CONTENT:
                message["content"] = think_tagged(answer.reasoning, answer.text, shape)
            if shape in ("reasoning_content", "both"):
                message["reasoning_content"] = answer.reasoning
            if shape in ("reasoning", "both"):
                message["reasoning"] = answer.reasoning
            if dia.name == "openrouter" and shape not in IN_CONTENT:
                detail = {"type": "reasoning.text", "text": answer.reasoning, "index": 0}
                message["reasoning_details"] = [detail]
        choice: dict[str, Any] = {"index": i, "message": message}
        if dia.logprobs_field:
            choice["logprobs"] = None
        choice["finish_reason"] = finish
        choices.append(choice)
    maker = ChunkMaker(dia, model, usage_requested=True)
    return {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": maker.usage_body(prompt_tokens, completion_tokens, reasoning_tokens),
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
