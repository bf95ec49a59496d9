"""`kibitz ask -m A -m B`: one question to several models at once, answers in the order given
under headers, kept as sibling replies; --json, -c follow-ups, the export, Ctrl+C, misuse."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kibitz.core.types import FilePart, MessageStatus, Role
from tests.integration.cli_support import (
    KIBITZ,
    RUN_TIMEOUT,
    LiveCli,
    cli_env,
    run_cli,
    stored,
)
from tests.support.fake_openai import FakeOpenAI, Reply

SLOW_TEXT = "The slow model thinks nine point nine is bigger."
FAST_TEXT = "Nine point nine."
QUESTION = "Which is bigger, 9.11 or 9.9?"
MISSING = "no-such-model"


@pytest.fixture
def models(fake_openai: FakeOpenAI) -> FakeOpenAI:
    """gpt-4o-mini answers slowly, gpt-4o at once, and any other model is a 404."""
    fake_openai.strict_models = True
    fake_openai.model_steps = {
        "gpt-4o-mini": Reply(text=SLOW_TEXT, delay=0.05),
        "gpt-4o": Reply(text=FAST_TEXT),
    }
    return fake_openai


def _ask(basedir: Path, server: FakeOpenAI, *args: str) -> tuple[int, str, str]:
    result = run_cli(["--basedir", str(basedir), "ask", *args], env=cli_env(base_url=server.url))
    return result.returncode, result.stdout, result.stderr


def _merged(basedir: Path, server: FakeOpenAI, *args: str) -> tuple[int, str]:
    """Run with stderr into the same pipe as stdout, as a terminal shows them."""
    proc = subprocess.run(
        [*KIBITZ, "--basedir", str(basedir), "ask", *args],
        env=cli_env(base_url=server.url),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    return proc.returncode, proc.stdout.decode()


def test_each_model_answers_under_its_header_and_all_are_kept_as_siblings(
    basedir: Path, models: FakeOpenAI
) -> None:
    code, out, err = _ask(
        basedir, models, "-m", "gpt-4o-mini", "-m", "gpt-4o", "-m", MISSING, QUESTION
    )

    assert code == 0, err
    # In the order given, though gpt-4o ended long before gpt-4o-mini; stdout is only the
    # headers and the answers.
    assert out == (
        f"── gpt-4o-mini (default) ──\n{SLOW_TEXT}\n\n"
        f"── gpt-4o (default) ──\n{FAST_TEXT}\n\n"
        f"── {MISSING} (default) ──\n"
    )
    figures = [line for line in err.splitlines() if "first token" in line]
    assert [line.split(":")[1].strip() for line in figures] == [
        "gpt-4o-mini (default)",
        "gpt-4o (default)",
    ]
    assert all("tokens/s" in line and " out" in line and "$" in line for line in figures)
    assert "The server does not know this model" in err
    assert sorted(r.body["model"] for r in models.chat_requests) == sorted(
        ["gpt-4o-mini", "gpt-4o", MISSING]
    )

    (conversation,) = stored(basedir)
    (question,) = conversation.by_role(Role.USER)
    assert question.content == QUESTION
    replies = {r.model: r for r in conversation.replies}
    assert set(replies) == {"gpt-4o-mini", "gpt-4o", MISSING}
    assert all(r.parent_id == question.id for r in replies.values())
    assert replies["gpt-4o-mini"].content == SLOW_TEXT
    assert replies["gpt-4o"].content == FAST_TEXT
    assert replies["gpt-4o"].status is MessageStatus.COMPLETE
    assert replies[MISSING].status is MessageStatus.ERROR
    # The first model's reply is the current branch; the others are its siblings.
    assert [m.id for m in conversation.branch] == [question.id, replies["gpt-4o-mini"].id]


def test_a_failing_model_says_why_under_its_own_header(basedir: Path, models: FakeOpenAI) -> None:
    code, screen = _merged(basedir, models, "-m", MISSING, "-m", "gpt-4o", QUESTION)

    assert code == 0, screen
    lines = screen.splitlines()
    failing, answering = lines.index(f"── {MISSING} (default) ──"), lines.index(FAST_TEXT)
    assert failing < answering
    error = lines[failing + 1]
    assert error.startswith("kibitz: The server does not know this model"), screen
    assert lines[failing + 2].strip().startswith("Choose a model"), screen
    assert lines[answering - 1] == "── gpt-4o (default) ──"
    assert "gpt-4o (default): first token" in lines[answering + 1]
    # The first model failed: the one that answered is current, and a follow-up without -m
    # goes on with its model.
    (conversation,) = stored(basedir)
    assert conversation.branch[-1].model == "gpt-4o"
    assert _ask(basedir, models, "-c", "1", "and why?")[0] == 0
    assert models.chat_requests[-1].body["model"] == "gpt-4o"


def test_no_model_answering_is_a_failure(basedir: Path, models: FakeOpenAI) -> None:
    code, _, err = _ask(basedir, models, "-m", MISSING, "-m", "missing-too", QUESTION)

    assert code == 1, err
    assert "No model answered." in err
    assert "saved in conversation 1" in err
    (conversation,) = stored(basedir)
    assert [r.status for r in conversation.replies] == [MessageStatus.ERROR] * 2


def _json(basedir: Path, server: FakeOpenAI, *args: str) -> dict[str, Any]:
    code, out, err = _ask(basedir, server, "--json", *args)
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def test_json_gives_each_reply_with_its_figures(basedir: Path, models: FakeOpenAI) -> None:
    document = _json(basedir, models, "-m", "gpt-4o-mini", "-m", "gpt-4o", "-m", MISSING, QUESTION)

    (conversation,) = stored(basedir)
    (question,) = conversation.by_role(Role.USER)
    assert document["conversation_id"] == conversation.conversation.id
    assert document["question_id"] == question.id
    mini, big, missing = document["replies"]
    assert document["current_reply_id"] == mini["id"] == conversation.branch[-1].id
    assert [r["model"] for r in document["replies"]] == ["gpt-4o-mini", "gpt-4o", MISSING]
    assert {r["provider"] for r in document["replies"]} == {"default"}
    assert (mini["status"], mini["text"], mini["error"]) == ("complete", SLOW_TEXT, None)
    assert (big["status"], big["text"]) == ("complete", FAST_TEXT)
    assert mini["reasoning"] is None
    for reply in (mini, big):
        figures = reply["figures"]
        assert figures["first_token_s"] >= 0
        assert figures["duration_s"] >= figures["first_token_s"]
        assert figures["tokens_per_second"] > 0
        assert figures["prompt_tokens"] > 0
        assert figures["completion_tokens"] == len(reply["text"].split())
        assert figures["cost_usd"] > 0  # both have a shipped price
    assert missing["status"] == "error"
    assert missing["text"] == ""
    assert missing["error"].startswith("The server does not know this model")
    assert missing["hint"].startswith("Choose a model")
    assert missing["figures"]["first_token_s"] is None
    assert missing["figures"]["cost_usd"] is None
    assert {r["id"] for r in document["replies"]} == {r.id for r in conversation.replies}


def test_json_with_one_model_and_reasoning(basedir: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(reasoning="Compare the tenths.", text="9.9 is bigger."))
    document = _json(basedir, fake_openai, "-m", "o3-mini", QUESTION)

    (reply,) = document["replies"]
    assert (reply["model"], reply["text"]) == ("o3-mini", "9.9 is bigger.")
    assert reply["reasoning"] == "Compare the tenths."
    assert document["current_reply_id"] == reply["id"]


def test_reasoning_is_folded_and_shown_on_stderr_when_asked(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.model_steps = {
        "o3-mini": Reply(reasoning="Tenths first.", text="9.9."),
        "gpt-4o": Reply(text="9.9 it is."),
    }
    code, out, err = _ask(basedir, fake_openai, "-m", "o3-mini", "-m", "gpt-4o", QUESTION)
    assert code == 0, err
    assert "Tenths" not in out + err
    code, out, err = _ask(
        basedir, fake_openai, "--show-reasoning", "-m", "o3-mini", "-m", "gpt-4o", QUESTION
    )
    assert code == 0, err
    assert out == "── o3-mini (default) ──\n9.9.\n\n── gpt-4o (default) ──\n9.9 it is.\n"
    assert err.startswith("Tenths first.\n")


def test_a_follow_up_goes_to_every_model_again(basedir: Path, models: FakeOpenAI) -> None:
    assert _ask(basedir, models, "-m", "gpt-4o-mini", "-m", "gpt-4o", QUESTION)[0] == 0
    code, out, err = _ask(basedir, models, "-c", "1", "-m", "gpt-4o", "-m", "gpt-4o-mini", "why?")

    assert code == 0, err
    assert out.index("── gpt-4o (default) ──") < out.index("── gpt-4o-mini (default) ──")
    (conversation,) = stored(basedir)
    first_question, follow_up = conversation.by_role(Role.USER)
    first_replies = [r for r in conversation.replies if r.parent_id == first_question.id]
    mini = next(r for r in first_replies if r.model == "gpt-4o-mini")
    # The follow-up continued the first model's answer, the current one after the compare.
    assert follow_up.parent_id == mini.id
    answers = [r for r in conversation.replies if r.parent_id == follow_up.id]
    assert sorted(r.model or "" for r in answers) == ["gpt-4o", "gpt-4o-mini"]
    assert conversation.branch[-1].model == "gpt-4o"  # now the first named
    # Each model was sent the branch it continues: the question, mini's answer, the follow-up.
    last_two = models.chat_requests[-2:]
    for request in last_two:
        contents = [m["content"] for m in request.body["messages"] if m["role"] != "system"]
        assert contents == [QUESTION, SLOW_TEXT, "why?"]


def test_the_json_export_holds_every_sibling(basedir: Path, models: FakeOpenAI) -> None:
    assert (
        _ask(basedir, models, "-m", "gpt-4o-mini", "-m", "gpt-4o", "-m", MISSING, QUESTION)[0] == 0
    )
    target = basedir / "export.json"
    env = cli_env(base_url=models.url)
    exported = run_cli(
        ["--basedir", str(basedir), "export", "--format", "json", "--out", str(target)], env=env
    )
    assert exported.returncode == 0, exported.describe()

    (conversation,) = json.loads(target.read_text(encoding="utf-8"))["conversations"]
    messages = conversation["messages"]
    (question,) = [m for m in messages if m["role"] == "user"]
    replies = [m for m in messages if m["role"] == "assistant"]
    assert sorted(m["model"] for m in replies) == sorted(["gpt-4o-mini", "gpt-4o", MISSING])
    assert all(m["parent_id"] == question["id"] for m in replies)
    current = next(m for m in replies if m["model"] == "gpt-4o-mini")
    assert conversation["current_leaf_id"] == current["id"]


def test_dry_run_prints_one_body_per_model(basedir: Path, fake_openai: FakeOpenAI) -> None:
    code, out, err = _ask(basedir, fake_openai, "--dry-run", "-m", "gpt-4o", "-m", "o3-mini", "hi")

    assert code == 0, err
    bodies = json.loads(out)
    assert [b["model"] for b in bodies] == ["gpt-4o", "o3-mini"]
    assert all(b["messages"][-1] == {"role": "user", "content": "hi"} for b in bodies)
    assert "── gpt-4o ──" in err
    assert "── o3-mini ──" in err
    assert fake_openai.chat_requests == []
    assert stored(basedir) == []


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (["-m", "a", "-m", "b", "-m", "c", "-m", "d", "-m", "e"], "-m was given 5 times"),
        (["-m", "gpt-4o", "-m", "gpt-4o"], "gpt-4o is named twice"),
    ],
)
def test_too_many_or_repeated_models_are_a_usage_error(
    basedir: Path, fake_openai: FakeOpenAI, given: list[str], said: str
) -> None:
    code, out, err = _ask(basedir, fake_openai, *given, "hi")

    assert code == 2
    assert out == ""
    assert err.splitlines() == [f"kibitz: Compare asks 2 to 4 different models ({said})."]
    assert fake_openai.chat_requests == []


def test_one_model_prints_as_it_always_did(basedir: Path, fake_openai: FakeOpenAI) -> None:
    code, out, err = _ask(basedir, fake_openai, "-m", "gpt-4o", "hello")

    assert (code, out, err) == (0, "You said: hello\n", "")
    (conversation,) = stored(basedir)
    (reply,) = conversation.replies
    assert reply.model == "gpt-4o"


def test_ctrl_c_stops_every_model_and_keeps_what_arrived(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    long = Reply(words=400, delay=0.02)  # about 8 s each
    fake_openai.model_steps = {"gpt-4o-mini": long, "gpt-4o": long}
    live = LiveCli.start(
        ["--basedir", str(basedir), "ask", "-m", "gpt-4o-mini", "-m", "gpt-4o", "a long story"],
        env=cli_env(base_url=fake_openai.url),
    )
    try:
        live.wait_for_output(200)
        assert live.proc.poll() is None, "the replies ended before Ctrl+C"
        live.signal(signal.SIGINT)
        code = live.finish()
    finally:
        live.stop()

    assert code == 130, live.stderr_text
    assert "Stopped; the partial replies were kept." in live.stderr_text
    (conversation,) = stored(basedir)
    replies = {r.model: r for r in conversation.replies}
    assert {r.status for r in replies.values()} == {MessageStatus.INTERRUPTED}
    assert all(r.content for r in replies.values())
    printed = live.output.split("\n", 1)[1]  # after the first header
    assert printed.startswith(replies["gpt-4o-mini"].content[:100])
    assert conversation.branch[-1].id == replies["gpt-4o-mini"].id


def test_an_attachment_goes_once_and_to_every_model(
    basedir: Path, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("The meeting moved to Thursday.\n", encoding="utf-8")
    code, _, err = _ask(
        basedir, fake_openai, "-m", "gpt-4o", "-m", "o3-mini", "-a", str(notes), "When?"
    )

    assert code == 0, err
    for request in fake_openai.chat_requests:
        assert "The meeting moved to Thursday." in json.dumps(request.body)
    (conversation,) = stored(basedir)
    (question,) = conversation.by_role(Role.USER)
    assert [p.name for p in question.parts if isinstance(p, FilePart)] == ["notes.txt"]
    assert len(conversation.replies) == 2
