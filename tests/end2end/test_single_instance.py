"""Single instance on Xvfb: a second start forwards and exits, `--quick-ask` reaches the running
app, a lock left by kill -9 is taken over, and simultaneous starts leave exactly one app.

Xvfb runs no window manager, so "raise" is checked through what X shows without one: the
window is mapped (viewable) and has the X input focus after the second start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from kibitz.core.paths import resolve_paths
from kibitz.ui.instance import lock_path, server_name
from tests.end2end.app_driver import (
    display_env,
    fake_server,
    find_window,
    running_app,
    wait_for,
    xdotool,
)
from tests.end2end.test_quick_ask import QUICK_TITLE, focused_window, quick_ask_window, visible
from tests.integration.cli_support import KIBITZ

pytestmark = pytest.mark.display

START_TIMEOUT_S = 60.0


def start(basedir: Path, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KIBITZ, "--basedir", str(basedir), *flags],
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
    )


def test_second_start_raises_the_window_and_quick_ask_forwards(
    basedir: Path, tmp_path: Path
) -> None:
    with fake_server() as server:
        env = display_env(base_url=server.url)
        with running_app(basedir, env, tmp_path / "logs") as app:
            began = time.monotonic()
            forwarded = start(basedir, env, "--quick-ask")
            took = time.monotonic() - began
            assert forwarded.returncode == 0, forwarded.stderr
            quick = quick_ask_window(app)
            assert focused_window(env) == quick
            print(f"\nkibitz --quick-ask to a running app: {took * 1000:.0f} ms wall")

            # `kibitz` again: no second app; the first one's window comes up with the focus.
            again = start(basedir, env)
            assert again.returncode == 0, again.stderr
            wait_for(lambda: focused_window(env) == app.window, "the main window focused")
            assert visible(env, app.proc.pid, "Kibitz") == [app.window]
            assert app.running, app.output
            # The quick ask stays where it was (above the main window), still mapped.
            assert visible(env, app.proc.pid, QUICK_TITLE) == [quick]


def test_lock_of_a_killed_app_is_recovered(basedir: Path, tmp_path: Path) -> None:
    data_dir = resolve_paths(basedir).data_dir
    with fake_server() as server:
        env = display_env(base_url=server.url)
        with running_app(basedir, env, tmp_path / "logs") as first:
            wait_for(lambda: Path(server_name(data_dir)).exists(), "the instance socket")
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait(10)
        # Both files stay behind, as after a crash.
        assert lock_path(data_dir).exists()
        assert Path(server_name(data_dir)).exists()
        # The next start takes over the stale lock (dead PID) and the stale socket.
        with running_app(basedir, env, tmp_path / "logs") as second:
            pid = int(lock_path(data_dir).read_text().split()[0])
            assert pid == second.proc.pid
            wait_for(lambda: start(basedir, env, "--quick-ask").returncode == 0, "forwarding")
            quick_ask_window(second)
            assert second.running, second.output


def test_simultaneous_starts_leave_exactly_one_app(basedir: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    with fake_server() as server:
        env = display_env(base_url=server.url)
        procs = []
        for i in range(3):
            out = (logs / f"start-{i}.log").open("wb")
            procs.append(
                subprocess.Popen(
                    [*KIBITZ, "--basedir", str(basedir)],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
            out.close()
        try:
            # Two of them forward to the third and exit 0; the third keeps running.
            wait_for(
                lambda: sum(p.poll() is not None for p in procs) >= 2,
                "all but one start to exit",
                timeout=START_TIMEOUT_S,
            )
            time.sleep(1.0)  # a late duplicate would have its window by now
            running = [p for p in procs if p.poll() is None]
            exited = [p for p in procs if p.poll() is not None]
            assert len(running) == 1, [p.returncode for p in procs]
            assert [p.returncode for p in exited] == [0, 0]
            (primary,) = running
            window = find_window(env, primary.pid)
            windows = xdotool(env, "search", "--onlyvisible", "--name", "^Kibitz$").split()
            owned = [
                w for w in windows if xdotool(env, "getwindowpid", w).strip() in
                {str(p.pid) for p in procs}
            ]  # fmt: skip
            assert owned == [str(window)]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                    try:
                        p.wait(15)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
        for i in range(3):
            text = (logs / f"start-{i}.log").read_text(errors="replace")
            assert "Traceback" not in text, text
        # The two that exited did forward: the primary heard from both.
        log = (basedir / "logs" / "kibitz.log").read_text(encoding="utf-8")
        assert log.count("another start asked for activate") == 2, log


def test_no_running_app_means_no_forwarding(basedir: Path) -> None:
    from kibitz.ui.instance import forward_to_running

    data_dir = resolve_paths(basedir).data_dir
    assert not forward_to_running(data_dir, "activate", timeout_s=1.0)
    assert os.environ.get("XDG_RUNTIME_DIR")  # tests/run.sh keeps these files private
