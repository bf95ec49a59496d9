"""The fake server itself: real HTTP/1.1 on 127.0.0.1, request log, connection accounting."""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
import traceback
from collections import Counter, deque
from http.server import ThreadingHTTPServer
from typing import Any

from .handler import ClientGone, RecordedRequest, _Handler
from .script import Step, step_from_keywords

log = logging.getLogger(__name__)

DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4o", "o3-mini", "fake-model")

__all__ = ["DEFAULT_MODELS", "ClientGone", "FakeOpenAI", "RecordedRequest"]


class FakeOpenAI:
    """An OpenAI-compatible server for tests; see the package docstring for the tour."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None
        self._lock = threading.Condition()
        self._steps: deque[Step] = deque()
        self._requests: list[RecordedRequest] = []
        self._keyword_uses: Counter[str] = Counter()
        self._connections: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()
        self.required_key: str | None = None
        self.models: list[str] = list(DEFAULT_MODELS)
        self.strict_models = False  # unknown model -> 404 model_not_found
        # model -> the step every request to it gets when nothing is queued: requests sent at
        # once (kibitz ask -m A -m B) arrive in any order, so a queue cannot tell them apart.
        self.model_steps: dict[str, Step] = {}
        # Models that see no images, and the dialect of their refusal (vision.refusal).
        self.text_only_models: dict[str, str] = {}
        # Models that refuse a request offering tools, and the refusal's dialect (tools.refusal).
        self.no_tool_models: dict[str, str] = {}
        self.models_status = 200  # e.g. 404: a server without GET /models
        # model -> its `pricing` object in the list, as OpenRouter's /models gives it.
        self.model_pricing: dict[str, dict[str, str]] = {}
        self.azure_deployments: list[str] | None = None  # None: any deployment name answers
        self.connections_opened = 0
        self.connections_closed = 0
        self.disconnects = 0  # responses the client cut short (cancel, stall timeout)
        self.errors: list[str] = []  # unexpected exceptions in handlers (a test rig bug)

    # -- life cycle --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The base URL a client uses, ending in /v1."""
        return self.base + "/v1"

    def start(self) -> FakeOpenAI:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        with self._lock:
            conns = list(self._connections)
            threads = list(self._handler_threads)
        for conn in conns:  # wake handlers blocked in a keep-alive read or a stall
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(timeout=5)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.2)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests set ----------------------------------------------------------------------

    def script(self, *steps: Step) -> None:
        """Queue behaviours; each chat request takes the next one, then the default reply."""
        with self._lock:
            self._steps.extend(steps)

    def require_key(self, key: str | None) -> None:
        self.required_key = key

    def reset(self) -> None:
        with self._lock:
            self._steps.clear()
            self._requests.clear()
            self._keyword_uses.clear()
            self.required_key = None
            self.models = list(DEFAULT_MODELS)
            self.strict_models = False
            self.model_steps = {}
            self.text_only_models = {}
            self.no_tool_models = {}
            self.models_status = 200
            self.model_pricing = {}
            self.azure_deployments = None

    # -- what tests read ---------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def pending_steps(self) -> int:
        with self._lock:
            return len(self._steps)

    def wait_for_disconnects(self, count: int = 1, timeout: float = 5.0) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self.disconnects >= count, timeout)

    def wait_for_closed(self, count: int = 1, timeout: float = 5.0) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self.connections_closed >= count, timeout)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "connections_opened": self.connections_opened,
                "connections_closed": self.connections_closed,
                "disconnects": self.disconnects,
                "requests": len(self._requests),
                "pending_steps": len(self._steps),
            }

    # -- used by the handler -----------------------------------------------------------------

    def _opened(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)
            self._handler_threads.add(threading.current_thread())
            self.connections_opened += 1

    def _closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)
            self._handler_threads.discard(threading.current_thread())
            self.connections_closed += 1
            self._lock.notify_all()

    def _gone(self) -> None:
        with self._lock:
            self.disconnects += 1
            self._lock.notify_all()

    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(req)

    def _next_step(self, body: dict[str, Any]) -> tuple[Step | None, str]:
        """The scripted step, else one named by keywords in the last user message."""
        prompt = _last_user_text(body)
        with self._lock:
            if self._steps:
                return self._steps.popleft(), _strip_keywords(prompt)
            by_model = self.model_steps.get(str(body.get("model") or ""))
            if by_model is not None:
                return by_model, _strip_keywords(prompt)
            found, clean = step_from_keywords(prompt)
            if found is None:
                return None, clean
            self._keyword_uses[found.keyword] += 1
            if found.times is not None and self._keyword_uses[found.keyword] > found.times:
                return None, clean
            return found.step, clean


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeOpenAI

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Expected: the client went away. Anything else is a bug in the rig; keep it for tests.
        if isinstance(sys.exc_info()[1], ClientGone | ConnectionError | TimeoutError):
            return
        self.fake.errors.append(traceback.format_exc())
        log.error("fake server handler failed:\n%s", self.fake.errors[-1])


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):  # content parts
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _strip_keywords(prompt: str) -> str:
    return step_from_keywords(prompt)[1]
