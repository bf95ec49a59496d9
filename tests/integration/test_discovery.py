"""Finding local OpenAI-compatible servers: real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from kibitz.core.discovery import KnownPort, find_local_servers
from tests.support.fake_openai import FakeOpenAI


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _NotOpenAI(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>a web page</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[int]:
    server = HTTPServer(("127.0.0.1", 0), _NotOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.mark.asyncio
async def test_finds_the_openai_compatible_one(fake_openai: FakeOpenAI, web_server: int) -> None:
    nothing = _free_port()
    ports = (
        KnownPort("ollama", "Nothing here", nothing),
        KnownPort("llamacpp", "Fake", fake_openai.port),
        KnownPort("vllm", "A web page", web_server),
    )
    # The ports are probed at once, and none of these three makes a probe wait out its
    # timeout: a refused port, an answer, a web page (the bound is for that, not for speed).
    started = time.monotonic()
    found = await find_local_servers(ports, timeout=30.0)
    assert time.monotonic() - started < 30.0
    assert [(s.label, s.base_url) for s in found] == [("Fake", fake_openai.url)]
    assert set(found[0].models) == set(fake_openai.models)


@pytest.mark.asyncio
async def test_a_silent_server_costs_only_the_timeout() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts connections but never answers
    try:
        port = KnownPort("custom", "Silent", int(listener.getsockname()[1]))
        started = time.monotonic()
        # A probe that ignored its timeout would wait here for ever: 30 s is only a hang guard.
        found = await asyncio.wait_for(find_local_servers((port,), timeout=0.2), 30)
        assert found == []
        assert time.monotonic() - started >= 0.19  # it did wait for an answer, as long as told
    finally:
        listener.close()


@pytest.mark.asyncio
async def test_a_body_sent_after_a_pause_is_read_whole() -> None:
    """The headers and the model list arrive in two packets, as a busy server sends them."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    body = b'{"object": "list", "data": [{"id": "slow-model"}]}'

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n")
            time.sleep(0.1)
            conn.sendall(body)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        port = KnownPort("llamacpp", "Slow", int(listener.getsockname()[1]))
        found = await find_local_servers((port,), timeout=30.0)
    finally:
        thread.join(5)
        listener.close()
    assert [s.models for s in found] == [("slow-model",)]
