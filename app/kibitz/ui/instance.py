"""Single instance: one Kibitz per data folder (QLockFile), others forward to it (QLocalServer).

A second `kibitz` asks the running one to show its window, `kibitz --quick-ask` asks it for the
quick-ask window, and both exit. The common case, an instance already running, is decided in
`forward_to_running` before Qt is imported at all, over a plain Unix socket (a named pipe on
Windows). Only when nothing answers does the process try the
lock: taking it makes it the primary; a lock left by a crashed primary (dead PID) is stale and
taken over; losing a start race means forwarding to the winner once it listens. The primary's
side, the server, is kibitz.ui.unix_instance_server on Linux and macOS (no QtNetwork) and
kibitz.ui.instance_server's QLocalServer on Windows.
"""

from __future__ import annotations

import binascii
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from kibitz import APP_ID
from kibitz.core.errors import KibitzError

if TYPE_CHECKING:
    from PySide6.QtCore import QLockFile

log = logging.getLogger(__name__)

ACTIVATE = "activate"  # show, raise and focus the main window
QUICK_ASK = "quick-ask"  # show the quick-ask window
TRAY = "tray"  # start-up only: begin in the tray (start at login)
COMMANDS = (ACTIVATE, QUICK_ASK)
REPLY_TIMEOUT_S = 3.0
CLAIM_BUDGET_S = 20.0  # a primary still starting up on a loaded machine takes a while
_RETRY_S = 0.1


class InstanceNotAnsweringError(KibitzError):
    code = "instance"
    default_headline = "Kibitz is already running but does not answer"
    default_hint = "Close the other Kibitz (or end its process), then start Kibitz again."


def command_for(quick_ask: bool) -> str:
    return QUICK_ASK if quick_ask else ACTIVATE


def _key(data_dir: Path) -> str:
    # One instance per data folder: `--basedir` copies (portable use, tests) run side by side.
    # Two CRCs, not hashlib: this runs before the first frame, and hashlib costs ~3 ms.
    name = str(data_dir.resolve()).encode("utf-8")
    return f"{APP_ID}-{binascii.crc32(name):08x}{binascii.crc32(name[::-1]):08x}"


def runtime_dir() -> Path:
    """$XDG_RUNTIME_DIR (what Qt uses too), else a private folder in the temp dir."""
    chosen = os.environ.get("XDG_RUNTIME_DIR")
    if chosen:
        return Path(chosen)
    import getpass

    user = getpass.getuser()
    fallback = Path(tempfile.gettempdir()) / f"{APP_ID}-runtime-{user}"
    fallback.mkdir(mode=0o700, exist_ok=True)
    return fallback


def lock_path(data_dir: Path) -> Path:
    return runtime_dir() / f"{_key(data_dir)}.lock"


def server_name(data_dir: Path) -> str:
    """Unix: the socket's absolute path. Windows: a pipe name, per user."""
    if sys.platform == "win32":
        import getpass

        return f"{_key(data_dir)}-{getpass.getuser()}"
    return str(runtime_dir() / f"{_key(data_dir)}.sock")


def encode(command: str) -> bytes:
    return (json.dumps({"command": command}) + "\n").encode("utf-8")


def decode(line: bytes) -> str | None:
    """The command in one request line; None for anything else."""
    try:
        message = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    command = message.get("command") if isinstance(message, dict) else None
    return command if command in COMMANDS else None


# -- the secondary ------------------------------------------------------------------------------


def forward_to_running(data_dir: Path, command: str, timeout_s: float = REPLY_TIMEOUT_S) -> bool:
    """Ask a running Kibitz to carry out `command`; True once it said it did."""
    if sys.platform == "win32":
        return _forward_qt(server_name(data_dir), command, timeout_s)
    path = server_name(data_dir)
    if not os.path.exists(path):
        return False  # the usual first start: no need to load the socket module (~5 ms)
    import socket

    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout_s)
            conn.connect(path)
            conn.sendall(encode(command))
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = conn.recv(64)
                if not chunk:
                    break
                reply += chunk
    except (FileNotFoundError, ConnectionRefusedError):
        return False  # nothing running, or a socket left behind by a crash
    except OSError as exc:  # includes a timeout: a primary that is busy or hung
        log.info("the running Kibitz did not answer: %s", exc)
        return False
    return reply.strip() == b"ok"


def _forward_qt(name: str, command: str, timeout_s: float) -> bool:
    from PySide6.QtNetwork import QLocalSocket

    conn = QLocalSocket()
    conn.connectToServer(name)
    ms = int(timeout_s * 1000)
    if not conn.waitForConnected(ms):
        return False
    conn.write(encode(command))
    conn.waitForBytesWritten(ms)
    ok = conn.waitForReadyRead(ms) and bytes(conn.readLine().data()).strip() == b"ok"
    conn.disconnectFromServer()
    return ok


def claim_instance(
    data_dir: Path, command: str, budget_s: float = CLAIM_BUDGET_S
) -> QLockFile | None:
    """Become the primary (the held lock), or forward `command` to it (None).

    Raises InstanceNotAnsweringError when another process holds the lock for `budget_s`
    without answering.
    """
    from PySide6.QtCore import QLockFile

    lock = QLockFile(str(lock_path(data_dir)))
    # Never stale by age: only when the PID in it is gone (a crash, kill -9).
    lock.setStaleLockTime(0)
    deadline = time.monotonic() + budget_s
    while True:
        if lock.tryLock(0):
            return lock
        if lock.error() not in (QLockFile.LockError.NoError, QLockFile.LockError.LockFailedError):
            raise InstanceNotAnsweringError(
                f"the lock file {lock_path(data_dir)} cannot be used ({lock.error().name})",
                headline="Kibitz cannot check whether it is already running",
                hint="Check that the folder is writable, then start Kibitz again.",
            )
        if forward_to_running(data_dir, command):
            return None
        if time.monotonic() > deadline:
            pid = lock.getLockInfo()
            raise InstanceNotAnsweringError(f"process {pid[1] if pid else '?'} holds the lock")
        time.sleep(_RETRY_S)
