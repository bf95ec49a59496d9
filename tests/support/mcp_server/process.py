"""Starting the test MCP server: its stdio command, and an HTTP/SSE instance in a subprocess."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import Literal

from kibitz.core.settings.schema import McpServer

REPO = Path(__file__).resolve().parents[3]
STDIO_COMMAND = (sys.executable, "-m", "tests.support.mcp_server", "--stdio")
START_TIMEOUT = 60.0  # an import of the SDK and uvicorn on a loaded machine


def stdio_server(name: str = "test", **fields: object) -> McpServer:
    """Settings for the test server over stdio (run from the repository's root, as pytest is)."""
    command, *args = STDIO_COMMAND
    return McpServer(name=name, command=command, args=tuple(args), **fields)  # type: ignore[arg-type]


class McpTestServer:
    """The test server over streamable HTTP (``kind="http"``) or HTTP+SSE, on 127.0.0.1.

    ``with McpTestServer() as server: server.url``; ``server.stderr`` is what it wrote there.
    """

    def __init__(self, kind: Literal["http", "sse"] = "http") -> None:
        self.kind = kind
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: list[str] = []
        self._reader: threading.Thread | None = None

    def start(self) -> McpTestServer:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.mcp_server", f"--{self.kind}", "--port", "0"],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        first = self._first_line()
        if not first.startswith("http://"):
            self.stop()
            raise RuntimeError(f"the test MCP server did not start: {first!r}\n{self.stderr}")
        self.url = first.strip()
        return self

    def _first_line(self) -> str:
        assert self._proc is not None
        stdout = self._proc.stdout
        assert stdout is not None
        found: list[str] = []
        reader = threading.Thread(target=lambda: found.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        return found[0] if found else ""

    def _read_stderr(self) -> None:
        assert self._proc is not None
        stderr = self._proc.stderr
        assert stderr is not None
        self._stderr.extend(stderr)

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        if self._reader is not None:
            self._reader.join(10)
        for pipe in (self._proc.stdout, self._proc.stderr):
            if pipe is not None:
                pipe.close()

    def __enter__(self) -> McpTestServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
