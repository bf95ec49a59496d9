"""`kibitz ask` with a reasoning model: stdout is the answer only, `--show-reasoning` puts the
reasoning on stderr, the reply stores both apart, and a follow-up sends no reasoning back."""

from __future__ import annotations

from pathlib import Path

import pytest

from kibitz.cli.ask import WAS_REASONING
from tests.integration.cli_support import cli_env, run_cli, stored
from tests.support.fake_openai import FakeOpenAI, Reply

THOUGHT = "Two plus two: count two more from two. That makes four."
ANSWER = "2 + 2 = **4**."


def ask(basedir: Path, server: FakeOpenAI, *args: str) -> tuple[str, str]:
    result = run_cli(["--basedir", str(basedir), "ask", *args], env=cli_env(base_url=server.url))
    assert result.returncode == 0, result.describe()
    return result.stdout, result.stderr


@pytest.mark.parametrize("shape", ["reasoning_content", "reasoning", "think_tags"])
def test_stdout_is_the_answer_and_show_reasoning_puts_the_thinking_on_stderr(
    basedir: Path, fake_openai: FakeOpenAI, shape: str
) -> None:
    fake_openai.script(Reply(reasoning=THOUGHT, text=ANSWER, shape=shape, chunk_size=7))
    out, err = ask(basedir, fake_openai, "--show-reasoning", "What is 2 + 2?")
    assert out == ANSWER + "\n"
    assert err.strip() == THOUGHT
    (conversation,) = stored(basedir)
    (reply,) = conversation.replies
    assert (reply.content, reply.reasoning) == (ANSWER, THOUGHT)


def test_without_the_flag_the_reasoning_is_stored_but_not_printed(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Reply(reasoning=THOUGHT, text=ANSWER, shape="think_tags"))
    out, err = ask(basedir, fake_openai, "What is 2 + 2?")
    assert (out, err) == (ANSWER + "\n", "")
    assert "<think>" not in out


def test_a_follow_up_sends_no_earlier_reasoning(basedir: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(
        Reply(reasoning=THOUGHT, text=ANSWER, dialect="deepseek"),
        Reply(reasoning="Double four.", text="8.", dialect="deepseek"),
    )
    ask(basedir, fake_openai, "What is 2 + 2?")
    (conversation,) = stored(basedir)
    out, _ = ask(basedir, fake_openai, "-c", str(conversation.conversation.id), "Doubled?")
    assert out == "8.\n"
    sent = fake_openai.chat_requests[1].body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1] == {"role": "assistant", "content": ANSWER}
    assert all(THOUGHT not in str(m) and "reasoning" not in m for m in sent)


def test_reasoning_effort_is_sent_only_when_asked(basedir: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(text="one"), Reply(text="two"))
    ask(basedir, fake_openai, "first")
    ask(basedir, fake_openai, "--reasoning-effort", "high", "second")
    first, second = (r.body for r in fake_openai.chat_requests)
    assert "reasoning_effort" not in first
    assert second["reasoning_effort"] == "high"


# -- the chat template opened <think>: the reasoning ends with </think> alone ---------------


@pytest.mark.parametrize("flags", [[], ["--show-reasoning"]])
def test_printed_reasoning_is_said_to_be_reasoning_and_the_answer_follows(
    basedir: Path, fake_openai: FakeOpenAI, flags: list[str]
) -> None:
    # Streamed at once: the text is out before the </think> says what it was.
    fake_openai.script(Reply(reasoning=THOUGHT, text=ANSWER, shape="think_close", chunk_size=5))
    out, err = ask(basedir, fake_openai, *flags, "What is 2 + 2?")
    assert out == THOUGHT + "\n" + ANSWER + "\n"
    assert err == f"kibitz: {WAS_REASONING}\n"
    (conversation,) = stored(basedir)
    (reply,) = conversation.replies
    assert (reply.content, reply.reasoning) == (ANSWER, THOUGHT)


def test_no_stream_prints_the_answer_alone(basedir: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(reasoning=THOUGHT, text=ANSWER, shape="think_close"))
    out, err = ask(basedir, fake_openai, "--no-stream", "What is 2 + 2?")
    assert (out, err) == (ANSWER + "\n", "")
    (conversation,) = stored(basedir)
    assert conversation.replies[0].reasoning == THOUGHT
