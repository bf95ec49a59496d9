"""The app starts as a subprocess on X (Xvfb), shows conversations the CLI stored, and closes.

Needs the display tests/run.sh provides; tests/end2end/app_driver.py finds, photographs and
closes the window.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.end2end.app_driver import display_env, running_app
from tests.integration.cli_support import cli_env, run_cli
from tests.support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.display


def test_app_starts_shows_stored_conversations_and_closes(
    basedir: Path, tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    env = display_env()
    for prompt in ("What is the capital of France?", "Show me some code"):
        result = run_cli(
            ["--basedir", str(basedir), "ask", prompt], env=cli_env(base_url=fake_openai.url)
        )
        assert result.returncode == 0, result.describe()

    with running_app(basedir, env, tmp_path / "logs") as app:
        x, y, width, height = app.geometry
        assert min(width, height) > 100, (x, y, width, height)
        shot = app.screenshot("app_starts")
        print(f"window mapped {app.mapped_after:.2f}s after start; screenshot: {shot.path}")
        code = app.close()
        output = app.output
    assert code == 0, output
    assert "Traceback" not in output
