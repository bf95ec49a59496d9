"""The primary's side of single instance: a QLocalServer that takes other starts' commands."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from kibitz.ui.instance import decode, server_name

log = logging.getLogger(__name__)


class InstanceServer(QObject):
    """Listens for other starts; emits each command once it has acknowledged it."""

    command_received = Signal(str)

    def __init__(self, lock: QLockFile, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = lock  # held for as long as this object lives
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        name = server_name(data_dir)
        # A socket left by a crashed primary refuses connections yet blocks listen(); removing
        # it is safe because we hold the lock.
        QLocalServer.removeServer(name)
        if not self._server.listen(name):
            log.warning("cannot listen on %s: %s", name, self._server.errorString())
        self._server.newConnection.connect(self._on_server_new_connection)

    @property
    def listening(self) -> bool:
        return self._server.isListening()

    def close(self) -> None:
        self._server.close()
        self._lock.unlock()

    def _on_server_new_connection(self) -> None:
        while (conn := self._server.nextPendingConnection()) is not None:
            conn.readyRead.connect(lambda conn=conn: self._on_connection_ready_read(conn))
            conn.disconnected.connect(conn.deleteLater)
            if conn.canReadLine():
                self._on_connection_ready_read(conn)

    def _on_connection_ready_read(self, conn: QLocalSocket) -> None:
        while conn.canReadLine():
            command = decode(bytes(conn.readLine().data()))
            conn.write(b"ok\n" if command is not None else b"err\n")
            conn.flush()
            if command is not None:
                log.info("another start asked for %s", command)
                self.command_received.emit(command)
