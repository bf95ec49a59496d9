"""Compare in the running app on Xvfb, driven with real keys against the fake server: three
models ticked in the Compare menu (Ctrl+Shift+K, Space), one question, three columns streaming
at once (two paces, one model refused), Alt+k continues with a finished reply. The store and
`kibitz export --format json` keep all three replies as siblings under the one question, the
chosen one current. Photographed streaming and after the choice, light and dark, as
compare-<state>-<scheme>.png in $KIBITZ_TEST_SCREENSHOTS."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.end2end.app_driver import (
    RunningApp,
    display_env,
    query,
    replies,
    running_app,
    visible,
    wait_for,
)
from tests.integration.cli_support import cli_env, run_cli, write_settings
from tests.support.fake_openai import FakeOpenAI, Fault, Reply

pytestmark = pytest.mark.display

PICKED = ["gpt-4o-mini", "gpt-4o", "o3-mini"]  # the current model, then the two ticked
THINKING = "Compare the decimals digit by digit: 9.11 has 1 tenth, 9.9 has 9 tenths."
SLOW_ANSWER = (
    "**9.9 is bigger.** Written with the same number of decimals:\n\n"
    "| number | as hundredths |\n| --- | --- |\n| 9.11 | 911 |\n| 9.9 | 990 |\n\n"
    "so $9.9 - 9.11 = 0.79 > 0$. " + "Version numbers compare differently, piece by piece. " * 14
)
FAST_ANSWER = (
    "9.9 is larger than 9.11.\n\n1. Align the decimals: 9.90 and 9.11.\n"
    "2. Compare the tenths: 9 > 1.\n\n" + "A common slip is reading 11 as more than 9. " * 14
)


@pytest.fixture(params=["light", "dark"])
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def compare_app(
    basedir: Path, tmp_path: Path, fake_openai: FakeOpenAI, scheme: str
) -> Iterator[RunningApp]:
    write_settings(
        basedir,
        f'[ui]\ntheme = "{scheme}"\n\n[defaults]\nmodel = "gpt-4o-mini"\n\n'
        "[chat]\nauto_title = false\n",
    )
    with running_app(basedir, display_env(base_url=fake_openai.url), tmp_path / "logs") as run:
        yield run


def _streaming_with_text(basedir: Path) -> int:
    return sum(1 for m in replies(basedir) if m["status"] == "streaming" and m["content"])


def test_three_models_compared_and_the_best_one_continued(
    compare_app: RunningApp, basedir: Path, fake_openai: FakeOpenAI, scheme: str
) -> None:
    app = compare_app
    windows = len(visible(app.env, app.proc.pid, ".*"))
    app.key("ctrl+shift+k")
    wait_for(lambda: len(visible(app.env, app.proc.pid, ".*")) > windows, "the Compare menu")
    wait_for(
        lambda: any(r.path.endswith("/models") for r in fake_openai.requests), "the model list"
    )
    time.sleep(0.5)  # the list reaches the open menu
    # Sorted: fake-model, gpt-4o, gpt-4o-mini (ticked: the current model), o3-mini.
    app.key("Down", "Down", "space", "Down", "Down", "space", "Escape")
    wait_for(lambda: len(visible(app.env, app.proc.pid, ".*")) == windows, "the menu to close")

    # Whichever request comes first takes the first step: a slow thinker, a fast one, a refusal.
    fake_openai.script(
        Reply(reasoning=THINKING, text=SLOW_ANSWER, chars_per_sec=90),
        Reply(text=FAST_ANSWER, chars_per_sec=220),
        Fault.model_not_found(),
    )
    app.send("Which is bigger, 9.11 or 9.9?")
    wait_for(lambda: len(fake_openai.chat_requests) == 3, "three requests")
    assert sorted(r.body["model"] for r in fake_openai.chat_requests) == sorted(PICKED)

    # Two replies grow at once: both have stored text while neither has finished.
    wait_for(lambda: _streaming_with_text(basedir) >= 2, "two replies streaming", timeout=30)
    assert not [m for m in replies(basedir) if m["status"] == "complete"]
    time.sleep(1.0)  # more text in each column
    app.screenshot(f"compare-streaming-{scheme}")

    wait_for(
        lambda: (
            len(replies(basedir)) == 3
            and not [m for m in replies(basedir) if m["status"] == "streaming"]
        ),
        "every reply",
        timeout=60,
    )
    stored = replies(basedir)
    assert sorted(m["status"] for m in stored) == ["complete", "complete", "error"]
    (question,) = [m for m in query(basedir, "SELECT * FROM messages") if m["role"] == "user"]
    assert {m["parent_id"] for m in stored} == {question["id"]}
    time.sleep(0.3)
    app.screenshot(f"compare-done-{scheme}")

    # Continue with the slower finished reply (Alt+<its column>).
    chosen = max((m for m in stored if m["status"] == "complete"), key=lambda m: len(m["content"]))
    app.key(f"alt+{PICKED.index(chosen['model']) + 1}")

    def current_leaf() -> int | None:
        rows = query(basedir, "SELECT current_leaf_id FROM conversations")
        return int(rows[0]["current_leaf_id"]) if rows and rows[0]["current_leaf_id"] else None

    wait_for(lambda: current_leaf() == chosen["id"], "the chosen reply to be current")
    (conversation,) = query(basedir, "SELECT params FROM conversations")
    assert json.loads(conversation["params"])["model"] == chosen["model"]
    time.sleep(0.5)
    app.screenshot(f"compare-continued-{scheme}")

    target = basedir.parent / f"export-{scheme}.json"
    exported = run_cli(
        ["--basedir", str(basedir), "export", "--format", "json", "--out", str(target)],
        env=cli_env(base_url=fake_openai.url),
    )
    assert exported.returncode == 0, exported.describe()
    (data,) = json.loads(target.read_text(encoding="utf-8"))["conversations"]
    exported_replies = [m for m in data["messages"] if m["role"] == "assistant"]
    assert sorted(m["model"] for m in exported_replies) == sorted(PICKED)
    assert {m["parent_id"] for m in exported_replies} == {question["id"]}
    assert data["current_leaf_id"] == chosen["id"]
