"""A tiny OpenAI-compatible server on loopback for `kibitz --smoke-test`: it streams one fixed
reply as chat-completion chunks (Server-Sent Events) and checks the key it was sent.

Standard library only, so that it works inside the frozen build, which has no tests/ folder.
It runs in a thread of its own; the app under test talks to it over real HTTP.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "kibitz-smoke"
# Markdown with emphasis and a fenced code block, so that the reply exercises the renderer,
# python-markdown's extensions and Pygments inside the bundle, not only the HTTP client.
REPLY_CHUNKS: tuple[str, ...] = (
    "Smoke test reply: ",
    "**bold** and `inline code`.\n\n",
    "```python\n",
    "def answer() -> int:\n",
    "    return 42\n",
    "```\n",
)
CHUNK_DELAY_S = 0.01


@dataclass
class SmokeRequest:
    """What one request asked for (its key only as matched or not: never kept)."""

    path: str
    model: str
    stream: bool
    key_matched: bool
    question: str


@dataclass
class SmokeServer:
    """Start with `start()`; `url` is the base URL to configure (…/v1)."""

    api_key: str
    reply: Sequence[str] = REPLY_CHUNKS
    requests: list[SmokeRequest] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def reply_text(self) -> str:
        return "".join(self.reply)

    def start(self) -> SmokeServer:
        owner = self

        class Handler(_Handler):
            server_state = owner

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="kibitz-smoke-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class _Handler(BaseHTTPRequestHandler):
    server_state: SmokeServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        del format, args  # quiet: the smoke report says what matters

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            created = int(time.time())
            model = {"id": MODEL, "object": "model", "created": created, "owned_by": "kibitz"}
            self._send_json(HTTPStatus.OK, {"object": "list", "data": [model]})
        else:
            self._send_json(HTTPStatus.NOT_FOUND, _error("not found", "not_found"))

    def do_POST(self) -> None:
        state = self.server_state
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError as exc:
            state.errors.append(f"a request body was not JSON: {exc}")
            self._send_json(HTTPStatus.BAD_REQUEST, _error("body is not JSON", "invalid_json"))
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(HTTPStatus.NOT_FOUND, _error("not found", "not_found"))
            return
        matched = self.headers.get("Authorization") == f"Bearer {state.api_key}"
        messages = body.get("messages") or [{}]
        question = str(messages[-1].get("content") or "")
        stream = bool(body.get("stream"))
        state.requests.append(
            SmokeRequest(self.path, str(body.get("model")), stream, matched, question)
        )
        if not matched:
            self._send_json(
                HTTPStatus.UNAUTHORIZED, _error("the smoke test's key did not arrive", "bad_key")
            )
        elif stream:
            self._stream(str(body.get("model") or MODEL))
        else:
            self._send_json(HTTPStatus.OK, _completion(str(body.get("model") or MODEL), state))

    def _stream(self, model: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        base: dict[str, Any] = {"id": "chatcmpl-smoke", "object": "chat.completion.chunk"}
        base.update(created=int(time.time()), model=model)
        self._event({**base, "choices": [_choice({"role": "assistant", "content": ""})]})
        for piece in self.server_state.reply:
            time.sleep(CHUNK_DELAY_S)
            self._event({**base, "choices": [_choice({"content": piece})]})
        self._event({**base, "choices": [_choice({}, finish="stop")]})
        self._write(b"data: [DONE]\n\n")
        self._write(b"")  # the chunked encoding's last, empty chunk

    def _event(self, payload: dict[str, Any]) -> None:
        self._write(b"data: " + json.dumps(payload).encode() + b"\n\n")

    def _write(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _send_json(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"index": 0, "delta": delta, "finish_reason": finish}


def _completion(model: str, state: SmokeServer) -> dict[str, Any]:
    message = {"role": "assistant", "content": state.reply_text}
    return {
        "id": "chatcmpl-smoke",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}
