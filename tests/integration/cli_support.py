"""Helpers for the CLI tests: run `python -m kibitz` as a subprocess, watch its output, read its db.

The CLI always runs as a real process (its stdout flushing, exit codes, signals and stderr are
what the tests are about); the fake OpenAI server runs in the test process or as a subprocess.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kibitz.core.store import Store
from kibitz.core.types import Conversation, Message, Role
from tests.integration.chat_support import TEST_KEY

KIBITZ = (sys.executable, "-m", "kibitz")
# Every CLI start imports openai (~0.5 s); a generous bound for a loaded CI machine.
RUN_TIMEOUT = 60.0


def cli_env(
    *,
    base_url: str | None = None,
    key: str | None = TEST_KEY,
    home: Path | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a CLI run: ours, minus anything that could leak a developer's setup."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OPENAI_", "KIBITZ_")) and name != "PYTHONUNBUFFERED"
    }
    # The fake server is on loopback: a proxy from the environment must not get in the way.
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    if base_url is not None:
        env["OPENAI_BASE_URL"] = base_url
    if key is not None:
        env["OPENAI_API_KEY"] = key
    if home is not None:
        env["KIBITZ_HOME"] = str(home)
    env.update(extra or {})
    return env


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def messages(self) -> list[str]:
        """The lines on stderr (what the user is told)."""
        return self.stderr.splitlines()

    def describe(self) -> str:
        return (
            f"kibitz {' '.join(self.args)} -> exit {self.returncode}\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )


def run_cli(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    input: str | bytes | None = None,
    timeout: float = RUN_TIMEOUT,
) -> CliResult:
    """Run the CLI to the end; whatever happens, it must not print a traceback. `input` is
    piped on stdin (bytes as they are: an image)."""
    data = input.encode() if isinstance(input, str) else input
    proc = subprocess.run(
        [*KIBITZ, *args],
        env=dict(env),
        input=data,
        stdin=subprocess.DEVNULL if data is None else None,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    result = CliResult(
        tuple(args),
        proc.returncode,
        proc.stdout.decode(errors="replace").replace("\r\n", "\n"),
        proc.stderr.decode(errors="replace").replace("\r\n", "\n"),
    )
    assert "Traceback" not in result.stderr, result.describe()
    return result


def write_settings(basedir: Path, toml: str) -> Path:
    """settings.toml in the base dir's config folder (where --basedir puts it)."""
    path = basedir / "config" / "settings.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("schema_version = 1\n" + toml, encoding="utf-8")
    return path


def database(basedir: Path) -> Path:
    return basedir / "data" / "kibitz.sqlite3"


@dataclass(frozen=True)
class Stored:
    """One conversation as the store holds it after the CLI exited."""

    conversation: Conversation
    messages: list[Message]  # every branch, oldest first
    branch: list[Message]  # root to the current leaf

    def by_role(self, role: Role) -> list[Message]:
        return [m for m in self.messages if m.role is role]

    @property
    def user_texts(self) -> list[str]:
        return [m.content for m in self.by_role(Role.USER)]

    @property
    def replies(self) -> list[Message]:
        return self.by_role(Role.ASSISTANT)


def stored(basedir: Path) -> list[Stored]:
    """Every conversation in the base dir's database, oldest first.

    Opening the Store marks replies left `streaming` as interrupted, so call this only once
    the CLI has exited (or was killed): that repair is part of what some tests check.
    """
    with Store.open(database(basedir)) as store:
        return [
            Stored(c, store.all_messages(c.id), store.branch(c.id))
            for c in sorted(store.list_conversations(), key=lambda c: c.id)
        ]


def committed_reply_text(db_path: Path) -> str:
    """The newest assistant row's committed text, read without opening the Store (no repair)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT t.content FROM messages m JOIN message_text t ON t.id = m.id"
            " WHERE m.role = 'assistant' ORDER BY m.id DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    return "" if row is None else str(row[0])


@dataclass
class LiveCli:
    """A CLI process whose stdout is read as it comes, each piece stamped with its arrival time.

    The pieces are read with os.read in a thread, so the stamps show when the CLI flushed.
    """

    proc: subprocess.Popen[bytes]
    started_at: float
    pieces: list[tuple[float, bytes]] = field(default_factory=list)
    stderr: bytes = b""
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _eof: bool = False
    _readers: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def start(cls, args: Sequence[str], *, env: Mapping[str, str]) -> LiveCli:
        proc = subprocess.Popen(
            [*KIBITZ, *args],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Ctrl+C as at a terminal, whatever the test run inherited: a shell runs background
            # jobs with SIGINT ignored, and Python then never raises KeyboardInterrupt.
            preexec_fn=_default_sigint,
        )
        live = cls(proc, time.monotonic())
        for target in (live._read_stdout, live._read_stderr):
            reader = threading.Thread(target=target, daemon=True)
            reader.start()
            live._readers.append(reader)
        return live

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while data := os.read(fd, 65536):
            with self._cond:
                self.pieces.append((time.monotonic(), data))
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        self.stderr = self.proc.stderr.read()

    @property
    def output(self) -> str:
        with self._cond:
            return b"".join(p for _, p in self.pieces).decode("utf-8", "replace")

    def wait_for_output(self, chars: int, timeout: float = 20.0) -> float:
        """Block until at least `chars` bytes were printed; the arrival time of the first ones."""
        with self._cond:
            ok = self._cond.wait_for(
                lambda: sum(len(p) for _, p in self.pieces) >= chars or self._eof, timeout
            )
            assert ok, f"no output within {timeout}s"
            total = sum(len(p) for _, p in self.pieces)
            assert total >= chars, f"the CLI ended after printing {total} of {chars} bytes"
            return self.pieces[0][0]

    def signal(self, signum: signal.Signals) -> float:
        """Send a signal; the time it was sent."""
        sent = time.monotonic()
        self.proc.send_signal(signum)
        return sent

    def finish(self, timeout: float = RUN_TIMEOUT) -> int:
        """Wait for the exit and for all of stdout and stderr; the exit code."""
        code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        return code

    @property
    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    def stop(self) -> None:
        """Make sure the process is gone (test teardown)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()
