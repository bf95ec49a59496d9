"""Tool calls in the fake server: scripted calls streamed in each server's shape, refusals of
`tools` in each server's words, and a default answer to tool results.

Shapes (what app/kibitz/core/chat/tool_deltas.py reads, and where each was seen):

- openai (and the dialects that copy it: openai-2026, azure, litellm, deepseek, openrouter):
  tests/fixtures/recordings/sse/09_parallel_tool_calls_two.sse. A role chunk
  `{"role":"assistant","content":null}`; per call a first piece
  `{"index":i,"id":"call_<24 alphanumerics>","type":"function","function":{"name":…,
  "arguments":""}}`, then pieces `{"index":i,"function":{"arguments":"…"}}` of a few
  characters each; an empty delta with finish_reason "tool_calls".
- vllm: per call `{"id":"chatcmpl-tool-<32 hex>","type":"function","index":i,"function":
  {"name":…}}` (no arguments: vLLM dumps only the fields set), then argument pieces as
  OpenAI's; finish "tool_calls" (vllm-project/vllm#9693, InternLM/lmdeploy#3412).
- llama.cpp: each call whole in one piece, with index, a 32-character id and all of its
  arguments; finish "tool_calls".
- ollama (before 0.5, ollama/ollama#7881): each call whole in its own chunk with
  `"role":"assistant","content":""`, no index, ids `call_<8 lowercase alphanumerics>`, and
  finish_reason "stop".
"""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from . import wire

TOOL_DIALECTS = ("openai", "vllm", "llama.cpp", "ollama")


@dataclass(frozen=True)
class ToolCall:
    """One call a scripted reply makes; `arguments` as a JSON string or an object to dump."""

    name: str
    arguments: str | dict[str, Any] = field(default_factory=dict)
    id: str | None = None  # None: an id in the dialect's style

    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, separators=(",", ":"))

    @staticmethod
    def from_json(spec: dict[str, Any] | ToolCall) -> ToolCall:
        """From the control channel's JSON: {"name", "arguments", "id"}."""
        if isinstance(spec, ToolCall):
            return spec
        return ToolCall(str(spec["name"]), spec.get("arguments") or {}, spec.get("id"))


def shape_of(dialect: str) -> str:
    """The tool-call shape a dialect streams (the module docstring lists them)."""
    return dialect if dialect in TOOL_DIALECTS else "openai"


def finish_reason(dialect: str) -> str:
    return "stop" if shape_of(dialect) == "ollama" else "tool_calls"


def new_call_id(dialect: str) -> str:
    shape = shape_of(dialect)
    if shape == "vllm":
        return "chatcmpl-tool-" + secrets.token_hex(16)
    if shape == "llama.cpp":
        return _random(string.ascii_letters + string.digits, 32)
    if shape == "ollama":
        return "call_" + _random(string.ascii_lowercase + string.digits, 8)
    return "call_" + _random(string.ascii_letters + string.digits, 24)


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def with_ids(calls: tuple[ToolCall, ...], dialect: str) -> tuple[ToolCall, ...]:
    """The calls of one reply, each with an id (the scripted one, or a new one)."""
    return tuple(c if c.id else ToolCall(c.name, c.arguments, new_call_id(dialect)) for c in calls)


def argument_pieces(arguments: str) -> list[str]:
    """The arguments as OpenAI streams them: fragments of a few characters that cut words and
    quotes anywhere (`{"`, `city`, `":"`, `Ed`, `inburgh`, ...)."""
    return [p for p in re.findall(r"\w{1,5}|\s*[^\w\s]{1,3}\s*|\s+", arguments) if p]


def role_delta(dialect: str) -> dict[str, Any] | None:
    """The role chunk's delta of a reply that is only tool calls; None: the dialect's usual."""
    if shape_of(dialect) == "openai":
        return {"role": "assistant", "content": None}
    return None


def call_deltas(calls: tuple[ToolCall, ...], dialect: str) -> list[dict[str, Any]]:
    """The deltas that stream `calls` (ids already set), one chunk each."""
    shape = shape_of(dialect)
    deltas: list[dict[str, Any]] = []
    for index, call in enumerate(calls):
        arguments = call.arguments_json()
        if shape in ("llama.cpp", "ollama"):
            entry: dict[str, Any] = {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": arguments},
            }
            if shape == "llama.cpp":
                entry = {"index": index, **entry}
                deltas.append({"tool_calls": [entry]})
            else:
                deltas.append({"role": "assistant", "content": "", "tool_calls": [entry]})
            continue
        function: dict[str, Any] = {"name": call.name}
        if shape == "openai":
            function["arguments"] = ""
            head = {"index": index, "id": call.id, "type": "function", "function": function}
        else:  # vllm
            head = {"id": call.id, "type": "function", "index": index, "function": function}
        deltas.append({"tool_calls": [head]})
        for piece in argument_pieces(arguments):
            deltas.append({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    return deltas


def message_calls(calls: tuple[ToolCall, ...]) -> list[dict[str, Any]]:
    """`message.tool_calls` of an unstreamed reply."""
    return [
        {
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments_json()},
        }
        for call in calls
    ]


def echo_results(body: dict[str, Any]) -> str | None:
    """The default answer when the request ends in tool results: what they said."""
    results: list[str] = []
    for message in reversed(body.get("messages") or []):
        if not isinstance(message, dict) or message.get("role") != "tool":
            break
        results.append(str(message.get("content") or ""))
    if not results:
        return None
    return "The tool said: " + " | ".join(reversed(results))


# -- refusals ------------------------------------------------------------------------------------

REFUSAL_DIALECTS = ("openai", "openai-param", "llama.cpp", "ollama", "vllm", "openrouter", "azure")


def refusal(dialect: str = "openai") -> tuple[int, dict[str, Any] | str]:
    """How a server refuses `tools` (the sources are in app/kibitz/core/chat/error_mapping.py)."""
    if dialect == "openai":
        return 400, wire.openai_error(
            "tools is not supported in this model. For a list of supported models, refer to "
            "https://platform.openai.com/docs/guides/function-calling#models-supporting-"
            "function-calling.",
            "invalid_request_error",
            None,
        )
    if dialect == "openai-param":
        return 400, wire.openai_error(
            "Unsupported parameter: 'tools' is not supported with this model.",
            "invalid_request_error",
            "unsupported_parameter",
            "tools",
        )
    if dialect == "llama.cpp":
        return 500, wire.llamacpp_error(500, "tools param requires --jinja flag", "server_error")
    if dialect == "ollama":
        return 400, wire.openai_error(
            "registry.ollama.ai/library/{model} does not support tools", "api_error", None
        )
    if dialect == "vllm":
        return 400, {
            "object": "error",
            "message": '"auto" tool choice requires --enable-auto-tool-choice and '
            "--tool-call-parser to be set",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        }
    if dialect == "openrouter":
        return 404, {
            "error": {
                "message": "No endpoints found that support tool use. To learn more about "
                "provider routing, visit: https://openrouter.ai/docs/provider-routing",
                "code": 404,
            }
        }
    if dialect == "azure":
        return 404, wire.openai_error(
            "Unrecognized request argument supplied: tools", "invalid_request_error", None
        )
    raise ValueError(f"unknown refusal {dialect!r}; one of {', '.join(REFUSAL_DIALECTS)}")
