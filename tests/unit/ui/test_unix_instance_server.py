"""The single-instance server on Linux and macOS: a plain Unix socket, the same line protocol
as the QLocalServer it replaces there, without loading QtNetwork."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import QLockFile
from pytestqt.qtbot import QtBot

from kibitz.ui.instance import (
    ACTIVATE,
    QUICK_ASK,
    claim_instance,
    encode,
    forward_to_running,
    lock_path,
    server_name,
)
from kibitz.ui.unix_instance_server import UnixInstanceServer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets")

T = TypeVar("T")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def primary(data_dir: Path, qtbot: QtBot) -> Iterator[UnixInstanceServer]:
    lock = claim_instance(data_dir, ACTIVATE)
    assert lock is not None
    server = UnixInstanceServer(lock, data_dir)
    assert server.listening
    yield server
    server.close()


def in_thread(qtbot: QtBot, work: Callable[[], T]) -> T:
    """Run `work()` on a thread while this one serves Qt events; its result."""
    result: list[T] = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10_000)
    return result[0]


def _send(data_dir: Path, *lines: bytes) -> bytes:
    """Send `lines` (in separate writes) and read the replies, one per line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect(server_name(data_dir))
        for line in lines:
            conn.sendall(line)
        reply = b""
        while reply.count(b"\n") < sum(line.count(b"\n") for line in lines):
            chunk = conn.recv(64)
            if not chunk:
                break
            reply += chunk
        return reply


def test_a_second_start_forwards_to_the_primary(
    qtbot: QtBot, primary: UnixInstanceServer, data_dir: Path
) -> None:
    received: list[str] = []
    primary.command_received.connect(received.append)
    assert in_thread(qtbot, lambda: claim_instance(data_dir, QUICK_ASK)) is None
    assert received == [QUICK_ASK]
    assert in_thread(qtbot, lambda: forward_to_running(data_dir, ACTIVATE)) is True
    assert received == [QUICK_ASK, ACTIVATE]


def test_a_request_in_pieces_and_two_in_one_connection_are_answered_each(
    qtbot: QtBot, primary: UnixInstanceServer, data_dir: Path
) -> None:
    received: list[str] = []
    primary.command_received.connect(received.append)
    whole = encode(ACTIVATE) + encode(QUICK_ASK)
    reply = in_thread(qtbot, lambda: _send(data_dir, whole[:5], whole[5:]))
    assert reply == b"ok\nok\n"
    assert received == [ACTIVATE, QUICK_ASK]


def test_a_request_the_primary_does_not_know_is_refused(
    qtbot: QtBot, primary: UnixInstanceServer, data_dir: Path
) -> None:
    received: list[str] = []
    primary.command_received.connect(received.append)
    junk = b'{"command": "delete-everything"}\n'
    assert in_thread(qtbot, lambda: _send(data_dir, junk)) == b"err\n"
    assert received == []


def test_only_this_user_may_connect(primary: UnixInstanceServer, data_dir: Path) -> None:
    mode = os.stat(server_name(data_dir)).st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o600


def test_a_socket_left_by_a_crashed_primary_is_replaced(qtbot: QtBot, data_dir: Path) -> None:
    lock = claim_instance(data_dir, ACTIVATE)
    assert lock is not None
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(server_name(data_dir))  # bound, never listening: refuses connections
    stale.close()
    server = UnixInstanceServer(lock, data_dir)
    try:
        assert server.listening
        assert in_thread(qtbot, lambda: forward_to_running(data_dir, ACTIVATE)) is True
    finally:
        server.close()


def test_closing_removes_the_socket_and_frees_the_instance(data_dir: Path) -> None:
    lock = claim_instance(data_dir, ACTIVATE)
    assert lock is not None
    server = UnixInstanceServer(lock, data_dir)
    server.close()
    assert not Path(server_name(data_dir)).exists()
    assert not forward_to_running(data_dir, ACTIVATE, timeout_s=1)
    again = QLockFile(str(lock_path(data_dir)))
    assert again.tryLock(0)
    again.unlock()


def test_the_server_loads_no_qtnetwork(data_dir: Path) -> None:
    probe = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "app = QCoreApplication([])\n"
        "from kibitz.ui.instance import ACTIVATE, claim_instance\n"
        "from kibitz.ui.unix_instance_server import UnixInstanceServer\n"
        "data = Path(sys.argv[1])\n"
        "server = UnixInstanceServer(claim_instance(data, ACTIVATE), data)\n"
        "print(json.dumps([server.listening, 'PySide6.QtNetwork' in sys.modules]))\n"
        "server.close()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [True, False]
