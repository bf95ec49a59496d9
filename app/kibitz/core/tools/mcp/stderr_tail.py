"""The last lines a stdio server wrote to stderr, for its status and its error messages.

The server writes into a pipe; a thread of our own reads it, so this works the same under
qasync and plain asyncio and never blocks the event loop. Only a bounded tail is kept, and it
is never logged (a server may print its own secrets).
"""

from __future__ import annotations

import asyncio
import collections
import os
import threading
from typing import TextIO

MAX_LINES = 200
MAX_LINE_CHARS = 2_000  # one line can be a whole minified stack dump


class StderrTail:
    """A pipe for one server process's stderr and the last MAX_LINES lines read from it."""

    def __init__(self, max_lines: int = MAX_LINES) -> None:
        self._lines: collections.deque[str] = collections.deque(maxlen=max_lines)
        self._lock = threading.Lock()
        read_fd, write_fd = os.pipe()
        # What stdio_client gives the child as stderr; our copy is closed once it has spawned.
        self.writer: TextIO = os.fdopen(write_fd, "w", encoding="utf-8")
        self._reader = threading.Thread(
            target=self._pump, args=(read_fd,), name="mcp-stderr", daemon=True
        )
        self._reader.start()

    def spawned(self) -> None:
        """Close our end of the pipe, so the reader sees EOF when the server (and any child
        holding its stderr) is gone."""
        if not self.writer.closed:
            self.writer.close()

    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def text(self) -> str:
        return "\n".join(self.lines())

    async def drained(self, timeout: float = 1.0) -> None:
        """Wait (briefly) until everything the exited server wrote has been read."""
        self.spawned()
        deadline = asyncio.get_running_loop().time() + timeout
        while self._reader.is_alive() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)

    def _pump(self, fd: int) -> None:
        partial = b""
        try:
            while chunk := os.read(fd, 65536):
                *complete, partial = (partial + chunk).split(b"\n")
                for line in complete:
                    self._keep(line)
                partial = partial[-MAX_LINE_CHARS * 4 :]
        except OSError:
            pass  # the pipe went away under us: nothing more to read
        finally:
            if partial:
                self._keep(partial)
            os.close(fd)

    def _keep(self, raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip("\r")
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + " …"
        with self._lock:
            self._lines.append(line)
