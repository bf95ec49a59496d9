"""`kibitz ask --dry-run`: prints the body a send would POST, sends and stores nothing, says what
trimming left out and where each parameter comes from."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.chat_support import TEST_KEY
from tests.integration.cli_support import cli_env, run_cli, stored, write_settings
from tests.support.fake_openai import FakeOpenAI

SMALL_WINDOW = """
[defaults]
model = "local-model"
temperature = 0.5

[chat]
unknown_context_window = 400
context_reserve_tokens = 100
auto_title = false
"""


def _run(basedir: Path, server: FakeOpenAI, *args: str) -> tuple[str, str]:
    result = run_cli(
        ["--basedir", str(basedir), "ask", *args], env=cli_env(base_url=server.url, key=TEST_KEY)
    )
    assert result.returncode == 0, result.describe()
    return result.stdout, result.stderr


def test_dry_run_prints_what_the_send_then_sends_and_stores_nothing(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    args = ("-m", "gpt-4o-mini", "--temperature", "0.3", "-s", "Be brief.", "what is 2+2?")
    out, err = _run(basedir, fake_openai, "--dry-run", *args)

    assert fake_openai.chat_requests == []
    assert stored(basedir) == []
    printed = json.loads(out)
    assert "Dry run: nothing was sent" in err
    assert f"{fake_openai.url.rstrip('/')}/chat/completions" in err
    assert "temperature = 0.3 (this request)" in err
    assert "context window = 128,000 tokens (model limit)" in err
    assert TEST_KEY not in out + err

    _run(basedir, fake_openai, *args)
    [sent] = fake_openai.chat_requests
    assert sent.body == printed


def test_dry_run_in_a_conversation_shows_the_trimming(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    write_settings(basedir, SMALL_WINDOW)
    _run(basedir, fake_openai, "first question " + "word " * 60)
    [conversation] = stored(basedir)
    conversation_id = str(conversation.conversation.id)
    for n in range(3):
        _run(basedir, fake_openai, "-c", conversation_id, f"follow-up {n} " + "more " * 60)
    asked = len(fake_openai.chat_requests)

    out, err = _run(basedir, fake_openai, "--dry-run", "-c", conversation_id, "last one")

    assert len(fake_openai.chat_requests) == asked  # nothing sent
    body = json.loads(out)
    assert body["model"] == "local-model"
    assert body["messages"][-1] == {"role": "user", "content": "last one"}
    assert "first question" not in out  # the oldest turns went to fit 400 tokens
    assert "oldest messages left out to fit 400 tokens." in err
    assert "temperature = 0.5 (default)" in err
    assert "context window = 400 tokens (setting)" in err
    assert len(stored(basedir)[0].messages) == 8  # the dry run stored no question
