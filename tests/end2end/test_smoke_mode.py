"""`kibitz --smoke-test` from the source tree, as a subprocess on X: it passes with the real
keyring and leaves no key behind; without a keyring it fails and says why, unless told to go on.
(tests/end2end/test_frozen_build.py runs the same check on the frozen build.)"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.display

TIMEOUT_S = 120


def _env(**extra: str) -> dict[str, str]:
    if not os.environ.get("DISPLAY"):
        pytest.skip("needs an X display: run bash tests/run.sh, which starts Xvfb")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIBITZ_", "OPENAI_"))}
    env["QT_QPA_PLATFORM"] = "xcb"
    env.update(extra)
    return env


def _smoke(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kibitz", "--smoke-test", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def _smoke_keys() -> list[str]:
    """Throwaway keys the smoke test left in the Secret Service (service "kibitz")."""
    import secretstorage

    connection = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(connection)
        items = collection.search_items({"service": "kibitz"})
        return [
            name
            for item in items
            if (name := item.get_attributes().get("username", ""))
            if name.startswith("smoke-test-")
        ]
    finally:
        connection.close()


@pytest.mark.keyring
def test_the_smoke_test_passes_and_leaves_no_key_behind() -> None:
    proc = _smoke(_env())
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    lines = proc.stdout.splitlines()
    assert lines[-1].startswith("SMOKE TEST PASSED in ")
    for step in (
        "token counting",
        "keyring backend: keyring.backends.SecretService.Keyring",
        "keyring round trip",
        "main window shown",
        "main window: a reply streamed",
        "quick ask shown",
        "quick ask: a reply streamed",
        "the server received both questions",
    ):
        assert any(line.startswith("ok ") and step in line for line in lines), (step, output)
    assert "platform xcb" in proc.stdout
    assert "Traceback" not in output
    assert _smoke_keys() == []


def test_without_a_keyring_it_fails_and_says_why() -> None:
    env = _env(PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    proc = _smoke(env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL  no usable system keyring" in proc.stdout
    assert "--smoke-allow-no-keyring" in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith("SMOKE TEST FAILED")


def test_without_a_keyring_it_can_be_told_to_go_on() -> None:
    env = _env(PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    proc = _smoke(env, "--smoke-allow-no-keyring")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "allowed by --smoke-allow-no-keyring" in proc.stdout
    assert "main window: a reply streamed" in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith("SMOKE TEST PASSED")


def test_without_a_display_it_fails_before_qt_would_abort() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    proc = _smoke(env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL  no display to show windows on" in proc.stdout
    assert "QT_QPA_PLATFORM=offscreen" in proc.stdout
