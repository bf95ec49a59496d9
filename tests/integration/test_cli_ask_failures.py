"""`kibitz ask` against every server fault: two clear lines, no traceback, the prompt kept.

Each case is a real CLI process talking HTTP to its own fake server. The cases are independent,
so the module runs them all at once (the slowest, a 5 s stall, sets the pace) and each test
then checks one outcome.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from kibitz.core.capabilities import told
from kibitz.core.types import MessageStatus
from tests.integration.chat_support import TEST_KEY
from tests.integration.cli_support import (
    CliResult,
    Stored,
    cli_env,
    run_cli,
    stored,
    write_settings,
)
from tests.support.fake_openai import FakeOpenAI, Fault, RecordedRequest, Reply, Step

PROMPT = "What is the capital of France?"
ANSWER = "Paris is the capital of France, and has been for a very long time."
# One retry keeps the slow cases (backoff starts at ~1 s) short.
ONE_RETRY = "[chat]\nmax_retries = 1\n"


@dataclass(frozen=True)
class Case:
    steps: tuple[Step, ...] = ()
    flags: tuple[str, ...] = ()
    settings: str = ONE_RETRY
    key: str | None = TEST_KEY
    listening: bool = True  # False: the base URL points at a port nobody listens on


@dataclass(frozen=True)
class Outcome:
    result: CliResult
    requests: list[RecordedRequest]
    conversations: list[Stored]
    seconds: float

    @property
    def only(self) -> Stored:
        assert len(self.conversations) == 1, self.result.describe()
        return self.conversations[0]

    def retry_lines(self) -> list[str]:
        return [line for line in self.result.messages if "retrying in" in line]

    def problem_lines(self) -> list[str]:
        return [line for line in self.result.messages if "retrying in" not in line]


# The slow ones first: they set the pace of the whole module.
CASES: dict[str, Case] = {
    "stall": Case(
        (Fault.stall(after=20, seconds=120, text=ANSWER),),
        settings=ONE_RETRY + "stall_timeout_s = 5\n",
    ),
    "server_error_forever": Case(
        tuple(Fault.server_error(500) for _ in range(3)), settings="[chat]\nmax_retries = 2\n"
    ),
    "no_key": Case(key=None),
    "auth_openai": Case((Fault.auth(),)),
    "auth_llamacpp": Case((Fault.auth("llama.cpp"),)),
    "auth_detail": Case((Fault.detail(401, "Invalid API key"),)),
    "model_not_found": Case((Fault.model_not_found(),), flags=("-m", "gpt-9-imaginary")),
    "context_length": Case((Fault.context_length(),)),
    "unsupported_param": Case(
        (Fault.unsupported_param("temperature"), Reply(text=ANSWER)),
        flags=("-m", "o3-mini", "--temperature", "0.7"),
    ),
    "rate_limit_then_ok": Case((Fault.rate_limit(retry_after=0.05), Reply(text=ANSWER))),
    "rate_limit_litellm_then_ok": Case((Fault.rate_limit(dialect="litellm"), Reply(text=ANSWER))),
    "server_error_then_ok": Case((Fault.server_error(502), Reply(text=ANSWER))),
    "refused": Case(listening=False),
    "drop": Case((Fault.drop(after=20, text=ANSWER, delay=0.01),)),
    "malformed": Case((Fault.malformed(after=20, text=ANSWER),)),
    "no_finish_reason": Case((Reply(text=ANSWER, finish_reason=None),)),
    "length": Case((), flags=("--max-tokens", "3")),
    "content_filter": Case((Reply(text=ANSWER, finish_reason="content_filter"),)),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    servers = {name: FakeOpenAI().start() for name in CASES}
    try:
        jobs = {}
        for name, case in CASES.items():
            server = servers[name]
            server.script(*case.steps)
            basedir = tmp_path_factory.mktemp(name)
            write_settings(basedir, case.settings)
            url = server.url if case.listening else f"http://127.0.0.1:{_free_port()}/v1"
            jobs[name] = (basedir, cli_env(base_url=url, key=case.key))

        def run(name: str) -> tuple[str, CliResult, float]:
            basedir, env = jobs[name]
            started = time.monotonic()
            result = run_cli(
                ["--basedir", str(basedir), "ask", *CASES[name].flags, PROMPT], env=env
            )
            return name, result, time.monotonic() - started

        # Each start costs ~0.7 s of CPU; more at once than this only adds contention.
        with ThreadPoolExecutor(max_workers=6) as pool:
            finished = list(pool.map(run, CASES))
        yield {
            name: Outcome(result, servers[name].chat_requests, stored(jobs[name][0]), seconds)
            for name, result, seconds in finished
        }
    finally:
        for server in servers.values():
            server.stop()
    for name, server in servers.items():
        assert server.errors == [], f"{name}: the fake server failed:\n" + "\n".join(server.errors)


def assert_failed_cleanly(
    outcome: Outcome,
    *,
    problem: str,
    hint: str,
    status: MessageStatus | None = MessageStatus.ERROR,
    text: str = "",
) -> None:
    """Exit 1; exactly two lines (problem, then what to do); the question and reply kept."""
    result = outcome.result
    assert result.returncode == 1, result.describe()
    lines = outcome.problem_lines()
    assert len(lines) == 2, result.describe()
    assert lines[0].startswith("kibitz: "), result.describe()
    assert problem in lines[0], result.describe()
    assert hint in lines[1], result.describe()
    assert "Your question is saved in conversation 1." in lines[1], result.describe()
    conversation = outcome.only
    assert conversation.user_texts == [PROMPT]
    if status is None:
        assert conversation.replies == []
        return
    (reply,) = conversation.replies
    assert reply.status is status
    assert reply.content == text
    assert result.stdout == (text + "\n" if text else "")


def test_no_api_key_anywhere(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["no_key"]
    # Under tests/run.sh the Secret Service is real and empty (NoApiKeyError); elsewhere no
    # keyring is usable (KeyringUnavailableError). Both name OPENAI_API_KEY as the way out.
    lines = outcome.problem_lines()
    problem = "No API key is set" if "No API key" in lines[0] else "No system keyring"
    # The failed request is a reply row carrying the error, as in the app (the same engine).
    assert_failed_cleanly(outcome, problem=problem, hint="OPENAI_API_KEY")
    (reply,) = outcome.only.replies
    assert reply.error is not None
    assert reply.error.splitlines()[0].split(": ", 1)[1] in lines[0]
    assert outcome.requests == []


@pytest.mark.parametrize("name", ["auth_openai", "auth_llamacpp", "auth_detail"])
def test_invalid_key(outcomes: dict[str, Outcome], name: str) -> None:
    outcome = outcomes[name]
    assert_failed_cleanly(
        outcome,
        problem="The server refused the API key",
        hint="Store a new one with: kibitz key set",
    )
    assert TEST_KEY not in outcome.result.stderr
    assert "{" not in outcome.result.stderr, "a raw JSON body reached the user"
    assert len(outcome.requests) == 1, "a refused key is not retried"


def test_unknown_model(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["model_not_found"]
    assert_failed_cleanly(
        outcome, problem="The server does not know this model", hint="Choose a model"
    )
    assert "gpt-9-imaginary" in outcome.result.messages[0]
    stored = outcome.only.replies[0].error
    assert stored is not None
    assert stored.splitlines()[0] == "model_not_found: The server does not know this model"


def test_context_too_long(outcomes: dict[str, Outcome]) -> None:
    assert_failed_cleanly(
        outcomes["context_length"],
        problem="The conversation is too long for this model",
        hint="Trim the oldest messages",
    )


def test_a_refused_parameter_is_named_once_and_left_out(outcomes: dict[str, Outcome]) -> None:
    # Learned (core/capabilities.py): said once on stderr, asked again without it, answered.
    outcome = outcomes["unsupported_param"]
    result = outcome.result
    assert result.returncode == 0, result.describe()
    assert result.stdout == ANSWER + "\n"
    assert [line for line in result.messages if "does not take temperature" in line] == [
        "kibitz: " + told("o3-mini", "temperature")
    ]
    first, again = outcome.requests
    assert first.body["temperature"] == 0.7
    assert "temperature" not in again.body
    (reply,) = outcome.only.replies
    assert (reply.status, reply.content) == (MessageStatus.COMPLETE, ANSWER)


@pytest.mark.parametrize("name", ["rate_limit_then_ok", "rate_limit_litellm_then_ok"])
def test_rate_limit_is_retried_then_answered(outcomes: dict[str, Outcome], name: str) -> None:
    outcome = outcomes[name]
    result = outcome.result
    assert result.returncode == 0, result.describe()
    assert result.stdout == ANSWER + "\n"
    (line,) = outcome.retry_lines()
    assert "rate-limiting" in line
    assert "(attempt 2)" in line
    assert outcome.problem_lines() == []
    assert len(outcome.requests) == 2
    (reply,) = outcome.only.replies
    assert (reply.status, reply.content) == (MessageStatus.COMPLETE, ANSWER)


def test_retry_after_is_honoured(outcomes: dict[str, Outcome]) -> None:
    # 0.05 s from the header, where the backoff without one starts at about a second.
    with_header = outcomes["rate_limit_then_ok"]
    without = outcomes["rate_limit_litellm_then_ok"]
    gap_with = with_header.requests[1].at - with_header.requests[0].at
    gap_without = without.requests[1].at - without.requests[0].at
    assert gap_with < 0.5 < gap_without, (gap_with, gap_without)


def test_server_error_then_success(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["server_error_then_ok"]
    assert outcome.result.returncode == 0, outcome.result.describe()
    assert outcome.result.stdout == ANSWER + "\n"
    assert "internal error; retrying" in outcome.retry_lines()[0]
    assert outcome.only.replies[0].status is MessageStatus.COMPLETE


def test_server_error_forever_fails_after_the_retries(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["server_error_forever"]
    assert_failed_cleanly(outcome, problem="The server had an internal error", hint="outage")
    assert len(outcome.requests) == 3
    assert [line.split("(")[-1] for line in outcome.retry_lines()] == ["attempt 2)", "attempt 3)"]


def test_connection_refused(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["refused"]
    assert_failed_cleanly(outcome, problem="Could not reach the server", hint="base URL")
    assert len(outcome.retry_lines()) == 1


def test_drop_mid_stream_keeps_the_partial_reply(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["drop"]
    (reply,) = outcome.only.replies
    assert 20 <= len(reply.content) < len(ANSWER)
    assert ANSWER.startswith(reply.content)
    assert_failed_cleanly(
        outcome,
        problem="The connection dropped in the middle of the reply",
        hint="The partial reply was kept",
        status=MessageStatus.INTERRUPTED,
        text=reply.content,
    )
    assert reply.error is not None
    assert reply.error.startswith("stream_interrupted")
    assert len(outcome.requests) == 1, "text had arrived: asking again could duplicate it"


def test_malformed_chunk(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["malformed"]
    (reply,) = outcome.only.replies
    assert reply.content
    assert ANSWER.startswith(reply.content)
    assert_failed_cleanly(
        outcome,
        problem="could not read",
        hint="OpenAI-compatible /v1 endpoint",
        status=MessageStatus.INTERRUPTED,
        text=reply.content,
    )


def test_stall_gives_up_after_the_configured_timeout(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["stall"]
    (reply,) = outcome.only.replies
    assert reply.content
    assert ANSWER.startswith(reply.content)
    assert_failed_cleanly(
        outcome,
        problem="The server stopped sending: Nothing arrived for 5 seconds",
        hint="raise the stall timeout",
        status=MessageStatus.INTERRUPTED,
        text=reply.content,
    )
    # Gave up after the 5 s without waiting out the server's 120 s of silence; the rest is for
    # start-up, which six CLIs starting at once on a loaded machine can stretch a lot.
    assert 5.0 <= outcome.seconds < 60.0


def test_stream_ending_without_finish_reason(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["no_finish_reason"]
    assert_failed_cleanly(
        outcome,
        problem="ended the reply without finishing it",
        hint="The partial reply was kept",
        status=MessageStatus.INTERRUPTED,
        text=ANSWER,
    )


def test_length_limit_is_a_note_not_a_failure(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["length"]
    result = outcome.result
    assert result.returncode == 0, result.describe()
    assert outcome.requests[0].body["max_tokens"] == 3
    (reply,) = outcome.only.replies
    assert (reply.status, reply.finish_reason) == (MessageStatus.LENGTH, "length")
    assert result.stdout == reply.content + "\n"
    assert len(reply.content.split()) == 3
    assert result.messages[0] == "kibitz: The reply was cut off at the length limit."
    assert "--max-tokens" in result.messages[1]
    assert len(result.messages) == 2
    assert "`kibitz ask -c 1 continue`" in result.messages[1]


def test_content_filter(outcomes: dict[str, Outcome]) -> None:
    assert_failed_cleanly(
        outcomes["content_filter"],
        problem="content filter stopped the reply",
        hint="Rephrase",
        status=MessageStatus.CONTENT_FILTER,
        text=ANSWER,
    )
