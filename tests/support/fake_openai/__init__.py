"""A fake OpenAI-compatible chat-completions server for tests: real HTTP, scripted faults.

In process (pytest)::

    from tests.support.fake_openai import FakeOpenAI, Fault, Reply, Replay, ToolCall

    with FakeOpenAI() as server:                 # 127.0.0.1, random port
        server.url                               # "http://127.0.0.1:PORT/v1"
        server.require_key("sk-test")            # wrong or missing key -> OpenAI's 401 body
        server.script(Fault.rate_limit(retry_after_ms=50), Reply(text="hi", delay=0.01))
        ...                                      # each chat request takes the next step
        server.chat_requests[-1].body            # what the client sent (also .headers, .api_key)
        server.wait_for_disconnects(1)           # the client hung up mid-response

        # A tool round: the first request gets calls, the second (with the results) the answer.
        server.script(
            Reply(tool_calls=[ToolCall("get_weather", {"city": "Oslo"})], dialect="vllm"),
            Reply(text="It is 4 °C in Oslo."),
        )
        server.chat_requests[1].messages         # [..., assistant with tool_calls, tool, ...]
        server.chat_requests[1].tools            # the tools offered (None: none)

As a subprocess: ``python -m tests.support.fake_openai --port 0 [--require-key KEY]`` prints the
URL on its first stdout line and serves until killed.

Steps (one per chat request; when the queue is empty, keywords in the last user message choose,
else the default reply):

- ``Reply(text=None, words=None, texts=None, reasoning=None, reasonings=None, shape=None,
  refusal=False, chunk_size=None, cuts=None, delay=0.0, chars_per_sec=None, header_delay=0.0,
  finish_reason="stop", dialect="openai", model=None, drop_after=None, reset=False,
  malformed_after=None, stall_after=None, stall_for=30.0, error_after=None, done=None,
  trailer_fault=None, burst=False)``. ``*_after`` counts content (and reasoning) characters sent
  before the fault; ``trailer_fault`` ("drop"/"stall") strikes after the finish chunks;
  ``burst`` sends the whole stream in one write; ``cuts=(3, 10)`` cuts the content stream at
  those character offsets instead of by ``chunk_size``.
  ``finish_reason=None`` ends the stream without one. ``max_tokens`` in the request cuts the
  reply to that many pieces with finish_reason "length"; ``n`` interleaves choices.
- Tool calls: ``Reply(tool_calls=[ToolCall(name, arguments={}, id=None)], text=None)`` streams
  the text (none when None) then the calls, in the dialect's shape: ``openai`` (and the dialects
  that copy it; checked against the recordings), ``vllm``, ``llama.cpp`` (each call whole in
  one chunk), ``ollama`` (whole calls, no index, finish "stop"); several calls are parallel
  calls. ids are made in the dialect's style unless given. finish_reason "stop" (the default)
  becomes the dialect's ("tool_calls"). Unstreamed: ``message.tool_calls``. Unscripted, a
  request ending in tool results is answered "The tool said: <results>"; a request offering
  tools otherwise gets the default reply (a model that ignores tools).
  ``Fault.tools_not_supported(dialect)``: the refusal of ``openai``, ``openai-param``,
  ``llama.cpp`` (500, no --jinja), ``ollama``, ``vllm``, ``openrouter``, ``azure``;
  ``server.no_tool_models = {model: dialect}`` refuses every request offering tools to it.
  All in tools.py.
- Reasoning: ``Reply(reasoning="Let me see.", text="4.", shape=...)`` thinks before it answers,
  streamed or not; ``reasonings`` gives one per choice. ``shape``: ``reasoning_content``
  (DeepSeek, llama.cpp), ``reasoning`` (vLLM, OpenRouter, Ollama), ``both`` (the same text in
  both fields, as some vLLM builds send), ``think_tags`` (``<think>\n…\n</think>\n\n`` at
  the start of the content) or ``think_close`` (the same without ``<think>``: the chat template
  put it into the prompt); None takes the dialect's. Usage then counts the reasoning pieces
  in ``completion_tokens_details.reasoning_tokens`` where the server does.
- Dialects: ``openai`` (2024 recordings), ``openai-2026`` (``"usage": null`` and ``obfuscation``
  on every chunk), ``azure`` (prompt-filter preamble with empty id/model, three-newline
  separators, no ``[DONE]``), ``llama.cpp`` (no usage chunk), ``litellm``, and for reasoning
  ``deepseek``, ``vllm``, ``openrouter``, ``ollama`` (their chunk shapes, and where each was
  seen, are in wire.py).
- ``Fault.auth(dialect)``, ``model_not_found()``,
  ``context_length(dialect: openai|llama.cpp|vllm)``, ``unsupported_param(name)``,
  ``rate_limit(retry_after=, retry_after_ms=, dialect=openai|litellm)``, ``quota()``,
  ``server_error(status)``, ``html(status)``, ``text(status, text)``,
  ``detail(status, detail)``, ``http(status, body, retry_after=, headers=)``: error responses
  with real bodies and headers (x-request-id, x-ratelimit-*, retry-after).
- ``Fault.drop(after, reset=False)``, ``malformed(after)``, ``stall(after, seconds)``,
  ``error_event(after)``: Replies broken on purpose (FIN or RST mid-body, a data: line that is
  not JSON, silence, an in-stream ``{"error": ...}`` event).
- ``Replay(path, delay=0.0)``: a recorded .sse body sent verbatim, one write per event.

Per model: ``server.model_steps = {"gpt-4o": Reply(text="Big.", delay=0.05)}``: the step each
request to that model gets when nothing is queued (requests sent at once arrive in any order).

Models: ``server.models`` is what GET /models lists; ``server.models_status = 404`` makes it
answer like a server without the endpoint.

Azure OpenAI: ``POST /openai/deployments/{name}/chat/completions?api-version=...`` and
``GET /openai/models?api-version=...`` with the key in an ``api-key`` header (Azure's 401 body
otherwise; no api-version: 404 "Resource not found"). Replies stream in the azure dialect;
``server.azure_deployments = [...]`` makes other names a 404 DeploymentNotFound.
``RecordedRequest.query`` holds the query parameters.

Default reply: "You said: <prompt>", or Markdown with a Python code block when the prompt
contains "code".

Control channel (for subprocess / end-to-end use):

- keywords in the last user message: ``[[reply:dialect=azure,delay=0.05,drop_after=20]]``,
  ``[[reply:reasoning=Thinking it over.,shape=think_tags]]`` (no commas in values),
  ``[[reply:words=20000,chars_per_sec=4000]]``, ``[[fault:rate_limit,retry_after=1,times=1]]``,
  ``[[reply:tool=get_time,tool_args={"zone":"UTC"},times=1]]`` (one call, then the answer to
  its result)
  (``times=N``: fire only N times, then answer normally). Keywords are removed from the echo.
- ``POST /_control/script`` with ``[{"kind": "reply", "tool_calls": [{"name": ...,
  "arguments": {...}}], ...}, {"kind": "rate_limit", ...},
  {"kind": "replay", "path": ...}]``, ``POST /_control/reset``, ``POST /_control/config``
  (``require_key``, ``models``, ``strict_models``, ``models_status``, ``azure_deployments``,
  ``no_tool_models``),
  ``GET /_control/requests``,
  ``GET /_control/stats``.
"""

from .script import Fault, HttpFault, Replay, Reply, Step, default_reply
from .server import DEFAULT_MODELS, FakeOpenAI, RecordedRequest
from .tools import ToolCall

__all__ = [
    "DEFAULT_MODELS",
    "FakeOpenAI",
    "Fault",
    "HttpFault",
    "RecordedRequest",
    "Replay",
    "Reply",
    "Step",
    "ToolCall",
    "default_reply",
]
