"""How a server's failure is put into words: missing programs, exit statuses, stderr."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from kibitz.core.settings.schema import McpServer
from kibitz.core.tools.mcp.failures import (
    CommandMissingError,
    check_command,
    describe_exit,
    lost_failure,
    start_failure,
)

NPX = McpServer(name="files", command="npx", args=("-y", "@scope/server-files"))


def test_a_program_not_on_path_is_named() -> None:
    with pytest.raises(CommandMissingError, match=r"^`npx` was not found on PATH$"):
        check_command("npx", {"PATH": "/nonexistent"})
    error = start_failure(NPX, CommandMissingError("`npx` was not found on PATH"))
    assert error.server == "files"
    assert error.lines() == [
        "The tool server 'files' could not be started: `npx` was not found on PATH",
        "Install it (npx comes with Node.js), or give its full path in Settings → Tools.",
    ]


def test_a_path_that_is_missing_or_not_a_program_is_named(tmp_path: Path) -> None:
    with pytest.raises(CommandMissingError, match="does not exist"):
        check_command(str(tmp_path / "server"), {})
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(CommandMissingError, match="is not a program that can be run"):
        check_command(str(tmp_path / "notes.txt"), {})
    assert check_command(sys.executable, {}) == sys.executable


def test_exit_statuses_and_signals_in_words() -> None:
    assert describe_exit(3) == "exited with status 3"
    assert describe_exit(-signal.SIGKILL) == "was killed by signal 9 (SIGKILL)"


def test_the_last_stderr_lines_are_part_of_the_message() -> None:
    stderr = [f"line {i}" for i in range(10)] + ["", "Error: no API key"]
    error = lost_failure(NPX, None, returncode=1, stderr=stderr)
    first, hint = error.lines()
    assert first.splitlines() == [
        "The tool server 'files' stopped: `npx` exited with status 1",
        "The last lines it wrote to stderr:",
        "  line 6",
        "  line 7",
        "  line 8",
        "  line 9",
        "  Error: no API key",
    ]
    assert "started again at the next tool call" in hint


def test_a_start_that_takes_too_long_says_how_long() -> None:
    error = start_failure(NPX, None, timeout_s=60)
    assert error.lines()[0] == (
        "The tool server 'files' could not be started: it did not finish starting within 60 s"
    )
