"""Single instance in one process: the lock, the local server's line protocol, forwarding from
a second claimer (on a thread: the stdlib client blocks while Qt serves), a stale lock."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLockFile
from pytestqt.qtbot import QtBot

from kibitz.ui.instance import (
    ACTIVATE,
    QUICK_ASK,
    InstanceNotAnsweringError,
    claim_instance,
    decode,
    encode,
    forward_to_running,
    lock_path,
    server_name,
)
from kibitz.ui.instance_server import InstanceServer


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def primary(data_dir: Path, qtbot: QtBot) -> Iterator[InstanceServer]:
    lock = claim_instance(data_dir, ACTIVATE)
    assert lock is not None
    server = InstanceServer(lock, data_dir)
    assert server.listening
    yield server
    server.close()


def in_thread(qtbot: QtBot, work: object) -> object:
    """Run `work()` on a thread while this one serves Qt events; its result."""
    result: list[object] = []
    assert callable(work)
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10_000)
    return result[0]


def test_protocol_lines() -> None:
    assert decode(encode(QUICK_ASK)) == QUICK_ASK
    assert decode(encode(ACTIVATE)) == ACTIVATE
    for junk in (b"", b"hello\n", b'{"command": "rm -rf"}\n', b"[1]\n", b"\xff\n"):
        assert decode(junk) is None


def test_second_claim_forwards_to_the_primary(
    qtbot: QtBot, primary: InstanceServer, data_dir: Path
) -> None:
    received: list[str] = []
    primary.command_received.connect(received.append)
    assert in_thread(qtbot, lambda: claim_instance(data_dir, QUICK_ASK)) is None
    assert received == [QUICK_ASK]
    assert in_thread(qtbot, lambda: forward_to_running(data_dir, ACTIVATE)) is True
    assert received == [QUICK_ASK, ACTIVATE]


def test_a_request_the_primary_does_not_know_is_refused(
    qtbot: QtBot, primary: InstanceServer, data_dir: Path
) -> None:
    import socket

    received: list[str] = []
    primary.command_received.connect(received.append)

    def send_junk() -> bytes:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(5)
            conn.connect(server_name(data_dir))
            conn.sendall(b'{"command": "delete-everything"}\n')
            return conn.recv(16)

    assert in_thread(qtbot, send_junk) == b"err\n"
    assert received == []


def test_nothing_running_means_nothing_forwarded(data_dir: Path) -> None:
    assert not forward_to_running(data_dir, ACTIVATE, timeout_s=1)


def test_a_lock_held_by_a_live_process_that_never_answers(data_dir: Path) -> None:
    lock = QLockFile(str(lock_path(data_dir)))
    assert lock.tryLock(0)
    try:
        with pytest.raises(InstanceNotAnsweringError, match="holds the lock"):
            claim_instance(data_dir, ACTIVATE, budget_s=0.3)
    finally:
        lock.unlock()


def test_the_lock_of_a_killed_process_is_taken_over(data_dir: Path) -> None:
    path = lock_path(data_dir)
    script = (
        "import time\n"
        "from PySide6.QtCore import QLockFile\n"
        f"lock = QLockFile({str(path)!r}); assert lock.tryLock(0)\n"
        "print('locked', flush=True); time.sleep(60)\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        holder.kill()  # SIGKILL: the lock file stays, naming a dead PID
        holder.wait(10)
    assert path.exists()
    lock = claim_instance(data_dir, ACTIVATE, budget_s=5)
    assert lock is not None
    assert lock.isLocked()
    lock.unlock()


def test_data_folders_have_instances_of_their_own(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    assert lock_path(one) != lock_path(two)
    assert server_name(one) != server_name(two)
    assert lock_path(one) == lock_path(tmp_path / "x" / ".." / "one")
