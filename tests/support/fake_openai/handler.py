"""The fake server's HTTP handler: routing, auth, control endpoints, streamed and plain replies."""

from __future__ import annotations

import json
import logging
import re
import select
import socket
import struct
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from . import tools, vision, wire
from .script import (
    HttpFault,
    Replay,
    Reply,
    default_reply,
    split_at,
    split_text,
    step_from_json,
)

if TYPE_CHECKING:
    from .server import _HTTPServer

log = logging.getLogger(__name__)


class ClientGone(Exception):
    """The client closed the connection while we were answering."""


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, or None
    at: float  # time.monotonic() when it arrived
    query: dict[str, str] = field(default_factory=dict)  # e.g. Azure's api-version
    raw: bytes = b""  # the body exactly as received

    @property
    def api_key(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat request's `messages` ([] for other requests)."""
        found = self.body.get("messages") if isinstance(self.body, dict) else None
        return list(found) if isinstance(found, list) else []

    @property
    def tools(self) -> list[dict[str, Any]] | None:
        """The chat request's `tools`, or None when it offered none."""
        found = self.body.get("tools") if isinstance(self.body, dict) else None
        return list(found) if isinstance(found, list) else None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-openai/1.0"
    sys_version = ""
    timeout = 30  # an idle keep-alive connection is dropped after this
    server: _HTTPServer
    _burst: bytearray | None = None  # a Reply(burst=True) being gathered into one write

    # -- connection accounting ---------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        # Without NODELAY, small SSE writes wait for delayed ACKs (40 ms each on Linux).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.fake._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    # -- routing -----------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path, _, raw_query = self.path.partition("?")
        query = dict(parse_qsl(raw_query))
        fake = self.server.fake
        try:
            if path.startswith("/_control/"):
                self._control(method, path, body)
                return
            fake._record(
                RecordedRequest(
                    method,
                    path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    time.monotonic(),
                    query,
                    raw,
                )
            )
            if path.startswith("/openai/"):
                self._azure(method, path, query, body)
                return
            if not self._authorized():
                return
            if method == "POST" and path == "/v1/chat/completions":
                self._chat(body if isinstance(body, dict) else {})
            elif method == "GET" and path == "/v1/models":
                self._models()
            else:
                message = f"Invalid URL ({method} {path})"
                self._json(404, wire.openai_error(message, "invalid_request_error", None))
        except ClientGone:
            fake._gone()
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            fake._gone()
            self.close_connection = True

    def _models(self) -> None:
        fake = self.server.fake
        if fake.models_status != 200:
            # A server without the endpoint (or a proxy refusing it), in OpenAI's error shape.
            message = f"Invalid URL (GET {self.path.split('?', 1)[0]})"
            body = wire.openai_error(message, "invalid_request_error", None)
            self._json(fake.models_status, body)
            return
        data = [
            {"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"}
            | ({"pricing": fake.model_pricing[m]} if m in fake.model_pricing else {})
            for m in fake.models
        ]
        self._json(200, {"object": "list", "data": data})

    def _azure(self, method: str, path: str, query: dict[str, str], body: Any) -> None:
        """Azure OpenAI's data plane: /openai/deployments/{name}/chat/completions and
        /openai/models, both with ?api-version=, the key in an `api-key` header."""
        fake = self.server.fake
        chat = _AZURE_CHAT.match(path)
        if not query.get("api-version") or not (
            (method == "POST" and chat) or (method == "GET" and path == "/openai/models")
        ):
            self._json(404, wire.azure_error("404", "Resource not found"))
            return
        if fake.required_key is not None and self.headers.get("api-key") != fake.required_key:
            self._json(401, wire.azure_error("401", wire.AZURE_ACCESS_DENIED))
            return
        if chat is None:
            self._models()
            return
        deployment = chat.group(1)
        if fake.azure_deployments is not None and deployment not in fake.azure_deployments:
            self._json(404, wire.azure_error("DeploymentNotFound", wire.AZURE_NO_DEPLOYMENT))
            return
        self._chat(body if isinstance(body, dict) else {}, default_dialect="azure")

    def _authorized(self) -> bool:
        fake = self.server.fake
        if fake.required_key is None:
            return True
        auth = self.headers.get("authorization", "")
        key = auth[7:] if auth.lower().startswith("bearer ") else None
        if key == fake.required_key:
            return True
        if key is None:
            body = wire.openai_error(
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                "invalid_request_error",
                None,
            )
        else:
            body = wire.openai_error(
                f"Incorrect API key provided: {wire.masked_key(key)}. You can find your API "
                "key at https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                "invalid_api_key",
            )
        self._json(401, body)
        return False

    def _control(self, method: str, path: str, body: Any) -> None:
        fake = self.server.fake
        if path == "/_control/script" and method == "POST":
            steps = body.get("steps", []) if isinstance(body, dict) else body
            fake.script(*(step_from_json(s) for s in steps or []))
            self._json(200, {"queued": fake.pending_steps})
        elif path == "/_control/reset" and method == "POST":
            fake.reset()
            self._json(200, {"ok": True})
        elif path == "/_control/config" and method == "POST":
            body = body or {}
            if "require_key" in body:
                fake.require_key(body["require_key"])
            if "models" in body:
                fake.models = list(body["models"])
            if "strict_models" in body:
                fake.strict_models = bool(body["strict_models"])
            if "no_tool_models" in body:
                fake.no_tool_models = dict(body["no_tool_models"])
            if "models_status" in body:
                fake.models_status = int(body["models_status"])
            if "azure_deployments" in body:
                found = body["azure_deployments"]
                fake.azure_deployments = None if found is None else list(found)
            self._json(200, {"ok": True})
        elif path == "/_control/requests" and method == "GET":
            data = [
                {"method": r.method, "path": r.path, "headers": r.headers, "body": r.body}
                for r in fake.requests
            ]
            self._json(200, data)
        elif path == "/_control/stats" and method == "GET":
            self._json(200, fake.stats())
        else:
            self._json(404, {"error": {"message": f"no control endpoint {method} {path}"}})

    # -- plain responses ---------------------------------------------------------------------

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        hdrs = {"content-type": "application/json; charset=utf-8", **wire.common_headers()}
        hdrs.update(headers or {})
        self._send(status, json.dumps(obj).encode(), hdrs)

    def _http_fault(self, fault: HttpFault, body: dict[str, Any]) -> None:
        model = str(body.get("model", ""))
        key = self.headers.get("authorization", "")[7:]
        if isinstance(fault.body, dict):
            payload = json.dumps(fault.body)
            payload = payload.replace("{model}", model).replace("{key}", wire.masked_key(key))
            content_type = fault.content_type or "application/json; charset=utf-8"
        else:
            payload = fault.body
            content_type = fault.content_type or "text/plain; charset=utf-8"
        headers = {"content-type": content_type, **wire.common_headers(), **dict(fault.headers)}
        self._send(fault.status, payload.encode(), headers)

    # -- chat completions --------------------------------------------------------------------

    def _chat(self, body: dict[str, Any], default_dialect: str = "openai") -> None:
        fake = self.server.fake
        step, prompt = fake._next_step(body)
        model = str(body.get("model") or "")
        if step is None and fake.strict_models and model not in fake.models:
            step = HttpFault(404, _model_not_found(model))
        images = vision.images_in(body)
        if step is None and images and model in fake.text_only_models:
            status, refusal = vision.refusal(fake.text_only_models[model])
            step = HttpFault(status, refusal)
        if step is None and body.get("tools") and model in fake.no_tool_models:
            status, refusal_body = tools.refusal(fake.no_tool_models[model])
            step = HttpFault(status, refusal_body)
        if step is None:
            text = vision.describe(images) if images else tools.echo_results(body)
            step = Reply(dialect=default_dialect, text=text)
        if isinstance(step, HttpFault):
            self._http_fault(step, body)
        elif isinstance(step, Replay):
            self._replay(step)
        elif body.get("stream"):
            self._stream(step, body, prompt)
        else:
            self._complete(step, body, prompt)

    def _texts(self, step: Reply, body: dict[str, Any], prompt: str) -> list[_Choice]:
        """What each choice sends, cut to max_tokens pieces when the request sets it."""
        n = int(body.get("n") or 1)
        base = step.text if step.text is not None else default_reply(prompt, words=step.words)
        if step.tool_calls and step.text is None:
            base = ""  # a reply that only calls tools
        texts = list(step.texts or ())
        while len(texts) < n:
            texts.append(base if not texts else f"[{len(texts)}] {base}")
        reasonings: list[str | None] = list(step.reasonings or ())
        while len(reasonings) < n:
            first = step.reasoning
            reasonings.append(
                first if first is None or not reasonings else f"{first} ({len(reasonings)})"
            )
        limit = body.get("max_tokens") or body.get("max_completion_tokens")
        choices = []
        for text, reasoning in zip(texts[:n], reasonings[:n], strict=True):
            pieces = _pieces(text, step)
            reason = step.finish_reason
            calls = tools.with_ids(step.tool_calls, step.dialect)
            if calls and reason == "stop":
                reason = tools.finish_reason(step.dialect)
            if isinstance(limit, int) and len(pieces) > limit:
                pieces = pieces[:limit]
                reason = "length" if reason in ("stop", "tool_calls") else reason
                calls = ()
            choices.append(_Choice(pieces, reason, reasoning, calls))
        return choices

    def _complete(self, step: Reply, body: dict[str, Any], prompt: str) -> None:
        self._pause(step.header_delay)
        if step.drop_after is not None:
            self._abort(reset=step.reset)  # no answer at all, as a dying proxy does
            return
        if step.stall_after is not None:
            self._pause(step.stall_for)
        choices = self._texts(step, body, prompt)
        model = step.model or str(body.get("model") or "fake-model")
        reasoning_tokens = sum(c.reasoning_tokens(step) for c in choices)
        obj = wire.completion_body(
            model,
            [
                wire.Answer("".join(c.pieces), c.reasoning, tools.message_calls(c.calls) or None)
                for c in choices
            ],
            choices[0].finish_reason,
            _prompt_tokens(body),
            sum(len(c.pieces) for c in choices) + reasoning_tokens,
            dialect=wire.dialect(step.dialect),
            reasoning_shape=step.shape,
            reasoning_tokens=reasoning_tokens,
        )
        if step.malformed_after is not None:
            headers = {"content-type": "application/json", **wire.common_headers()}
            self._send(200, json.dumps(obj).encode()[:-20], headers)
            return
        self._json(200, obj, wire.ratelimit_headers())

    def _stream(self, step: Reply, body: dict[str, Any], prompt: str) -> None:
        dia = wire.dialect(step.dialect)
        options = body.get("stream_options") or {}
        maker = wire.ChunkMaker(
            dia,
            step.model or str(body.get("model") or "fake-model"),
            usage_requested=bool(options.get("include_usage")),
            reasoning_shape=step.shape,
        )
        choices = self._texts(step, body, prompt)
        self._pause(step.header_delay)
        self._start_chunked(
            {
                "content-type": "text/event-stream; charset=utf-8",
                **wire.common_headers(),
                **wire.ratelimit_headers(),
            }
        )
        if step.burst:
            self._burst = bytearray()
        sender = _StreamSender(self, step, dia)
        for event in maker.preamble():
            sender.event(event)
        for index, choice in enumerate(choices):
            tool_role = tools.role_delta(step.dialect) if choice.only_calls else None
            role = maker.role(index, refusal=step.refusal) if tool_role is None else None
            if tool_role is not None:
                role = maker.chunk(index, tool_role)
            if role is not None:
                sender.event(role)
        # Interleave choices piece by piece, as OpenAI does for n > 1; reasoning comes first.
        streams = [c.chunks(index, maker, step) for index, c in enumerate(choices)]
        for i in range(max((len(s) for s in streams), default=0)):
            for stream in streams:
                if i < len(stream):
                    if sender.before_content():
                        return
                    sender.content(stream[i])
        if sender.before_content(final=True):
            return
        reasoning_tokens = sum(c.reasoning_tokens(step) for c in choices)
        usage = maker.usage_body(
            _prompt_tokens(body),
            sum(len(c.pieces) for c in choices) + reasoning_tokens,
            reasoning_tokens,
        )
        finishing = [i for i, c in enumerate(choices) if c.finish_reason is not None]
        for index in finishing:
            reason = choices[index].finish_reason
            assert reason is not None
            last = index == finishing[-1]
            sender.event(
                maker.finish(index, reason, maker.usage_for_finish(usage) if last else None)
            )
        if step.trailer_fault == "drop":
            self._abort(reset=False)
            return
        if step.trailer_fault == "stall":
            self._pause(step.stall_for)
        usage_chunk = maker.usage(usage)
        if usage_chunk is not None:
            sender.event(usage_chunk)
        if step.done if step.done is not None else dia.done:
            sender.event("[DONE]")
        self._end_chunked()

    def _replay(self, step: Replay) -> None:
        data = step.path.read_bytes()
        self._start_chunked(
            {"content-type": "text/event-stream; charset=utf-8", **wire.common_headers()}
        )
        for event in re.split(rb"(?<=\n\n)(?=[^\n])", data):
            self._pause(step.delay)
            self._chunk(event)
        self._end_chunked()

    # -- chunked transfer --------------------------------------------------------------------

    def _start_chunked(self, headers: dict[str, str]) -> None:
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        if not data:
            return
        framed = b"%x\r\n%s\r\n" % (len(data), data)
        if self._burst is not None:
            self._burst += framed
        else:
            self.wfile.write(framed)

    def _flush_burst(self) -> None:
        if self._burst is not None:
            burst, self._burst = bytes(self._burst), None
            self.wfile.write(burst)

    def _end_chunked(self) -> None:
        self._flush_burst()
        self.wfile.write(b"0\r\n\r\n")

    def _pause(self, seconds: float) -> None:
        """Sleep, but notice at once when the client hangs up (as a cancelled stream does)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], left)
            if not readable:
                continue
            try:
                peek = self.connection.recv(1, socket.MSG_PEEK)
            except OSError:
                raise ClientGone from None
            if not peek:
                raise ClientGone
            time.sleep(min(left, 0.01))  # bytes of a next request: keep waiting

    def _abort(self, *, reset: bool) -> None:
        """Cut the connection mid-body: FIN (an incomplete chunked body) or RST."""
        self._flush_burst()
        self.close_connection = True
        if reset:
            # Linger 0 makes close() send RST; rfile holds an io ref, so close it first.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        else:
            self.connection.shutdown(socket.SHUT_WR)


@dataclass
class _Choice:
    pieces: list[str]  # the answer, as sent
    finish_reason: str | None
    reasoning: str | None = None
    calls: tuple[tools.ToolCall, ...] = ()  # after the answer, each with its id

    @property
    def only_calls(self) -> bool:
        return bool(self.calls) and not self.pieces and self.reasoning is None

    def reasoning_tokens(self, step: Reply) -> int:
        return len(split_text(self.reasoning, step.chunk_size)) if self.reasoning else 0

    def chunks(self, index: int, maker: wire.ChunkMaker, step: Reply) -> list[dict[str, Any]]:
        """This choice's reasoning and content chunks, in order."""
        calls = [maker.chunk(index, d) for d in tools.call_deltas(self.calls, step.dialect)]
        return self._text_chunks(index, maker, step) + calls

    def _text_chunks(self, index: int, maker: wire.ChunkMaker, step: Reply) -> list[dict[str, Any]]:
        refusal = step.refusal
        if self.reasoning is None:
            return [maker.content(index, p, refusal=refusal) for p in self.pieces]
        if maker.shape in wire.IN_CONTENT:
            tagged = wire.think_tagged(self.reasoning, "".join(self.pieces), maker.shape)
            return [maker.content(index, p, refusal=refusal) for p in _pieces(tagged, step)]
        thinking = split_text(self.reasoning, step.chunk_size)
        return [maker.reasoning(index, p) for p in thinking] + [
            maker.content(index, p, refusal=refusal) for p in self.pieces
        ]


def _pieces(text: str, step: Reply) -> list[str]:
    return split_at(text, step.cuts) if step.cuts is not None else split_text(text, step.chunk_size)


class _StreamSender:
    """Writes the events of one stream and fires the step's faults at the right character."""

    def __init__(self, handler: _Handler, step: Reply, dia: wire.Dialect) -> None:
        self.handler = handler
        self.step = step
        self.dialect = dia
        self.sent_chars = 0
        self.fired: set[str] = set()

    def event(self, data: dict[str, Any] | str) -> None:
        self.handler._chunk(wire.sse_event(data, self.dialect))

    def content(self, chunk: dict[str, Any]) -> None:
        step = self.step
        delta = chunk["choices"][0]["delta"]
        text = (
            delta.get("content")
            or delta.get("refusal")
            or delta.get("reasoning_content")
            or delta.get("reasoning")
            or ""
        )
        if step.chars_per_sec:
            self.handler._pause(len(text) / step.chars_per_sec)
        elif step.delay:
            self.handler._pause(step.delay)
        self.event(chunk)
        self.sent_chars += len(text)

    def _due(self, name: str, after: int | None, final: bool) -> bool:
        if after is None or name in self.fired:
            return False
        if self.sent_chars >= after or final:
            self.fired.add(name)
            return True
        return False

    def before_content(self, *, final: bool = False) -> bool:
        """Fire any fault now due; True when the stream must end here."""
        step = self.step
        if self._due("stall", step.stall_after, final):
            self.handler._pause(step.stall_for)
        if self._due("malformed", step.malformed_after, final):
            self.handler._chunk(b'data: {"id":"chatcmpl-broken","choices":[{"delta":{"cont\n\n')
        if self._due("error", step.error_after, final):
            self.event(
                wire.openai_error(
                    "The server had an error while processing your request. Sorry about that!",
                    "server_error",
                    None,
                )
            )
            self.handler._end_chunked()
            return True
        if self._due("drop", step.drop_after, final):
            self.handler._abort(reset=step.reset)
            return True
        return False


_AZURE_CHAT = re.compile(r"^/openai/deployments/([^/]+)/chat/completions$")


def _prompt_tokens(body: dict[str, Any]) -> int:
    total = 0
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        total += 4 + (len(content.split()) if isinstance(content, str) else 0)
    return total + 3


def _model_not_found(model: str) -> dict[str, Any]:
    return wire.openai_error(
        f"The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    )
