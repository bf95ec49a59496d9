"""The primary's side of single instance on Linux and macOS: a Unix socket read through
QSocketNotifier, the same line protocol as kibitz.ui.instance_server's QLocalServer.

QtNetwork, for this one socket, cost the resident app ~3 MB and its start ~10 ms; the clients
(kibitz.ui.instance.forward_to_running) already speak plain AF_UNIX. Windows keeps the
QLocalServer (a named pipe).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QSocketNotifier, Signal

from kibitz.ui.instance import decode, server_name

log = logging.getLogger(__name__)

_BACKLOG = 8
_MAX_LINE = 4096  # a request is one short JSON line; anything longer is not one of ours


class _Connection:
    """One client: what it sent so far, and the notifier that says when it sent more."""

    def __init__(self, conn: socket.socket, parent: QObject) -> None:
        self.socket = conn
        self.buffer = b""
        self.notifier = QSocketNotifier(conn.fileno(), QSocketNotifier.Type.Read, parent)


class UnixInstanceServer(QObject):
    """Listens for other starts; emits each command once it has acknowledged it."""

    command_received = Signal(str)

    def __init__(self, lock: QLockFile, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = lock  # held for as long as this object lives
        self._path = server_name(data_dir)
        self._connections: dict[int, _Connection] = {}
        self._socket: socket.socket | None = None
        self._notifier: QSocketNotifier | None = None
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            # A socket left by a crashed primary refuses connections yet blocks bind();
            # removing it is safe because we hold the lock.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path)
            listener.bind(self._path)
            os.chmod(self._path, 0o600)  # this user's starts only
            listener.listen(_BACKLOG)
            listener.setblocking(False)
        except OSError as exc:
            log.warning("cannot listen on %s: %s", self._path, exc)
            listener.close()
            return
        self._socket = listener
        self._notifier = QSocketNotifier(listener.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_listener_activated)

    @property
    def listening(self) -> bool:
        return self._socket is not None

    def close(self) -> None:
        for fd in list(self._connections):
            self._drop(fd)
        if self._socket is not None:
            assert self._notifier is not None
            self._notifier.setEnabled(False)
            self._socket.close()
            self._socket = None
            with contextlib.suppress(OSError):
                os.unlink(self._path)
        self._lock.unlock()

    def _on_listener_activated(self) -> None:
        assert self._socket is not None
        while True:
            try:
                conn, _ = self._socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.warning("cannot accept a connection on %s: %s", self._path, exc)
                return
            conn.setblocking(False)
            client = _Connection(conn, self)
            fd = conn.fileno()
            self._connections[fd] = client
            client.notifier.activated.connect(lambda *_, fd=fd: self._on_client_activated(fd))

    def _on_client_activated(self, fd: int) -> None:
        client = self._connections.get(fd)
        if client is None:
            return
        try:
            chunk = client.socket.recv(_MAX_LINE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:  # the client is gone
            self._drop(fd)
            return
        client.buffer += chunk
        while b"\n" in client.buffer:
            line, client.buffer = client.buffer.split(b"\n", 1)
            command = decode(line + b"\n")
            try:
                client.socket.sendall(b"ok\n" if command is not None else b"err\n")
            except OSError:
                self._drop(fd)
                return
            if command is not None:
                log.info("another start asked for %s", command)
                self.command_received.emit(command)
        if len(client.buffer) > _MAX_LINE:
            self._drop(fd)

    def _drop(self, fd: int) -> None:
        client = self._connections.pop(fd, None)
        if client is None:
            return
        client.notifier.setEnabled(False)
        client.notifier.deleteLater()
        client.socket.close()
