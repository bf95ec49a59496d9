"""Token counting (tiktoken, offline tables), context windows, usage anchors and trimming."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from kibitz.core import errors
from kibitz.core.conversation.context import (
    REPLY_PRIMING_TOKENS,
    TOKENS_PER_MESSAGE,
    UsageAnchor,
    anchor_from_messages,
    count_messages,
    count_tokens,
    effective_window,
    estimate_prompt_tokens,
    message_tokens,
    trim_to_fit,
)
from kibitz.core.models import context_window, encoding_for
from kibitz.core.types import (
    ConversationId,
    Message,
    MessageId,
    MessageStatus,
    Role,
    Usage,
    as_parts,
)

# -- encodings and counts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        "gpt-4o",
        "gpt-4o-mini-2024-07-18",
        "chatgpt-4o-latest",
        "gpt-4.1-nano",
        "gpt-4.5-preview",
        "gpt-5",
        "gpt-5.1",
        "gpt-5-mini",
        "o1",
        "o1-mini",
        "o3-mini",
        "o4-mini",
        "gpt-oss-20b",
        "openai/gpt-4o",
        "ft:gpt-4o-mini-2024-07-18:acme::abc123",
        " GPT-4O ",
    ],
)
def test_new_openai_families_use_o200k(model: str) -> None:
    choice = encoding_for(model)
    assert (choice.name, choice.exact) == ("o200k_base", True)


@pytest.mark.parametrize(
    "model", ["gpt-4", "gpt-4-0613", "gpt-4-turbo", "gpt-3.5-turbo", "gpt-35-turbo"]
)
def test_older_openai_families_use_cl100k(model: str) -> None:
    choice = encoding_for(model)
    assert (choice.name, choice.exact) == ("cl100k_base", True)


@pytest.mark.parametrize(
    "model", ["llama3.1:8b", "mistral-large", "qwen2.5-coder", "o10", "omni", "gpt-40", "my-deploy"]
)
def test_unknown_models_are_estimated_with_cl100k(model: str) -> None:
    choice = encoding_for(model)
    assert (choice.name, choice.exact) == ("cl100k_base", False)


def test_counts_match_openais_published_examples() -> None:
    # From OpenAI's cookbook "How to count tokens with tiktoken".
    assert count_tokens("tiktoken is great!", "gpt-4") == 6
    assert count_tokens("お誕生日おめでとう", "gpt-3.5-turbo") == 9
    assert count_tokens("お誕生日おめでとう", "gpt-4o") == 8
    assert count_tokens("", "gpt-4o") == 0


def test_counts_match_real_server_usage() -> None:
    # Recorded live traffic
    # (tests/fixtures/recordings/openai-2026/chat_completions_interactions.json):
    # the same two messages sent to gpt-3.5-turbo (cassette entry 29) and gpt-5.1 (entry 0)
    # came back with prompt_tokens 34 and 33.
    messages = [
        ("system", "You are a text parser."),
        ("user", "How many letters are in the word Python? Answer in one word with no formatting."),
    ]
    assert count_messages(messages, "gpt-3.5-turbo") == 34
    assert abs(count_messages(messages, "gpt-5.1") - 33) <= 1  # gpt-5 frames a little tighter


def test_lone_surrogates_are_counted_not_fatal() -> None:
    assert count_tokens("broken \ud800 paste", "gpt-4o") > 0


def _message(i: int, role: Role, content: str, usage: Usage | None = None) -> Message:
    return Message(
        id=MessageId(i),
        conversation_id=ConversationId(1),
        parent_id=MessageId(i - 1) if i > 1 else None,
        role=role,
        parts=as_parts(content),
        status=MessageStatus.COMPLETE,
        created_at=float(i),
        updated_at=float(i),
        usage=usage,
    )


def test_pairs_and_messages_count_alike() -> None:
    pair = ("user", "Hello there")
    msg = _message(1, Role.USER, "Hello there")
    assert message_tokens(pair, "gpt-4o") == message_tokens(msg, "gpt-4o")
    assert message_tokens(("user", ""), "gpt-4o") == TOKENS_PER_MESSAGE + 1  # "user" is 1 token
    assert count_messages([], "gpt-4o") == REPLY_PRIMING_TOKENS


# -- context windows ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "window"),
    [
        ("gpt-4o", 128_000),
        ("gpt-4o-mini", 128_000),
        ("gpt-4.1-mini", 1_047_576),
        ("gpt-5", 400_000),
        ("gpt-5-chat-latest", 128_000),
        ("o1-mini", 128_000),
        ("o1-2024-12-17", 200_000),
        ("o3", 200_000),
        ("gpt-4", 8_192),
        ("gpt-4-32k-0613", 32_768),
        ("gpt-4-turbo-2024-04-09", 128_000),
        ("gpt-3.5-turbo", 16_385),
        ("gpt-3.5-turbo-instruct", 4_096),
        ("openai/gpt-4o", 128_000),
        ("llama3.1:8b", None),
        ("my-azure-deployment", None),
    ],
)
def test_context_windows_of_known_models(model: str, window: int | None) -> None:
    assert context_window(model) == window


def test_unknown_models_use_the_settings_fallback() -> None:
    assert effective_window("llama3.1:8b", 8192) == 8192
    assert effective_window("gpt-4o", 8192) == 128_000


# -- trimming ----------------------------------------------------------------------------------

WORDS = "lorem ipsum dolor sit amet " * 20  # about 100 tokens


def _conversation(turns: int) -> list[tuple[str, str]]:
    convo = [("system", "You are terse.")]
    for i in range(turns):
        convo += [("user", f"question {i} {WORDS}"), ("assistant", f"answer {i} {WORDS}")]
    return [*convo, ("user", "the newest question")]


def test_nothing_is_dropped_when_it_fits() -> None:
    convo = _conversation(3)
    result = trim_to_fit(convo, "gpt-4o", window=128_000, reserve=4096)
    assert result.kept == tuple(convo)
    assert result.dropped_count == 0
    assert result.tokens == count_messages(convo, "gpt-4o")
    assert result.exact


def test_oldest_turns_go_first_and_no_more_than_needed() -> None:
    convo = _conversation(10)
    full = count_messages(convo, "gpt-4o")
    window, reserve = full // 2, 100
    result = trim_to_fit(convo, "gpt-4o", window=window, reserve=reserve)
    kept = list(result.kept)
    assert kept[0] == convo[0]  # the system prompt stays
    assert kept[-1] == convo[-1]  # so does the newest question
    assert kept[1][0] == "user"  # no answer is left without its question
    assert kept == [convo[0], *convo[1 + result.dropped_count :]]  # a suffix of whole turns
    assert result.dropped_count % 2 == 0
    assert result.tokens == count_messages(kept, "gpt-4o") <= window - reserve
    # Minimal: keeping the last dropped turn as well would not have fitted.
    one_more = [convo[0], *convo[1 + result.dropped_count - 2 :]]
    assert count_messages(one_more, "gpt-4o") > window - reserve


def test_orphan_replies_at_the_start_are_dropped_as_a_group() -> None:
    convo = [
        ("system", "s"),
        ("assistant", f"greeting {WORDS}"),
        ("assistant", f"more {WORDS}"),
        ("user", f"q1 {WORDS}"),
        ("assistant", f"a1 {WORDS}"),
        ("user", "newest"),
    ]
    size = count_messages([convo[0], *convo[3:]], "gpt-4o")
    result = trim_to_fit(convo, "gpt-4o", window=size + 10, reserve=10)
    assert result.kept == (convo[0], *convo[3:])
    assert result.dropped_count == 2


def test_messages_after_the_newest_question_are_kept() -> None:
    # e.g. "continue" on a reply that was cut by max_tokens
    convo = [*_conversation(4), ("assistant", "partial answer")]
    size = count_messages([convo[0], *convo[-2:]], "gpt-4o")
    result = trim_to_fit(convo, "gpt-4o", window=size + 50, reserve=50)
    assert result.kept == (convo[0], convo[-2], convo[-1])


def test_too_long_newest_message_is_a_clear_error() -> None:
    convo = [("system", "s"), ("user", "old"), ("assistant", "old"), ("user", WORDS * 10)]
    with pytest.raises(errors.ContextTooLongError) as info:
        trim_to_fit(convo, "gpt-4", window=500, reserve=100)
    err = info.value
    assert "gpt-4 has 500" in err.detail
    assert "Shorten the message" in err.hint
    assert err.action is errors.Action.CHOOSE_MODEL


def test_the_system_prompt_is_never_dropped() -> None:
    convo = [("system", WORDS * 10), ("user", "old"), ("assistant", "old"), ("user", "hi")]
    with pytest.raises(errors.ContextTooLongError):
        trim_to_fit(convo, "gpt-4o", window=300, reserve=50)


def test_a_reserve_that_fills_the_window_is_refused() -> None:
    with pytest.raises(errors.InvalidValueError, match="leaves no room"):
        trim_to_fit(_conversation(1), "gpt-4o", window=4096, reserve=4096)


def test_message_objects_come_back_as_the_same_objects() -> None:
    msgs = [_message(1, Role.SYSTEM, "sys")]
    for i in range(2, 12, 2):
        msgs += [_message(i, Role.USER, WORDS), _message(i + 1, Role.ASSISTANT, WORDS)]
    msgs.append(_message(20, Role.USER, "newest"))
    result = trim_to_fit(msgs, "llama3:8b", window=600, reserve=100)
    assert result.kept[0] is msgs[0]
    assert result.kept[-1] is msgs[-1]
    assert all(any(k is m for m in msgs) for k in result.kept)
    assert result.dropped_count > 0
    assert not result.exact  # a local model: the count is an estimate


# -- server-reported usage ---------------------------------------------------------------------


def _with_usage(prompt_tokens: int) -> list[Message]:
    """A branch whose second reply (index 4) reports what the server counted for 0..3."""
    return [
        _message(1, Role.SYSTEM, "You are terse."),
        _message(2, Role.USER, f"q1 {WORDS}"),
        _message(3, Role.ASSISTANT, f"a1 {WORDS}", Usage(150, 100, 250)),
        _message(4, Role.USER, f"q2 {WORDS}"),
        _message(
            5, Role.ASSISTANT, f"a2 {WORDS}", Usage(prompt_tokens, 2000, prompt_tokens + 2000)
        ),
        _message(6, Role.USER, "q3"),
    ]


def test_anchor_comes_from_the_newest_reply_with_usage() -> None:
    msgs = _with_usage(900)
    assert anchor_from_messages(msgs) == UsageAnchor(covered=4, tokens=900)
    assert anchor_from_messages(msgs[:4]) == UsageAnchor(covered=2, tokens=150)
    assert anchor_from_messages(msgs[:2]) is None
    assert anchor_from_messages([("user", "x"), ("assistant", "y")]) is None


def test_estimate_uses_the_server_count_and_counts_only_newer_messages() -> None:
    msgs = _with_usage(900)  # the server counted 900 where we would count about 330
    anchor = anchor_from_messages(msgs)
    assert anchor is not None
    newer = sum(message_tokens(m, "llama3") for m in msgs[4:])
    assert estimate_prompt_tokens(msgs, "llama3", anchor) == 900 + newer
    # completion_tokens (2000, reasoning included) plays no part
    assert estimate_prompt_tokens(msgs, "llama3") == count_messages(msgs, "llama3")
    stale = UsageAnchor(covered=40, tokens=900)  # from a longer branch: ignored
    assert estimate_prompt_tokens(msgs, "llama3", stale) == count_messages(msgs, "llama3")


def test_trimming_with_an_anchor_agrees_with_the_estimate() -> None:
    msgs = _with_usage(900)
    anchor = anchor_from_messages(msgs)
    assert anchor is not None
    estimate = estimate_prompt_tokens(msgs, "llama3", anchor)
    kept_all = trim_to_fit(msgs, "llama3", window=estimate + 100, reserve=100, anchor=anchor)
    assert (kept_all.dropped_count, kept_all.tokens) == (0, estimate)
    # Without the anchor our own smaller count would have said the whole branch fits.
    plain = trim_to_fit(msgs, "llama3", window=estimate, reserve=100)
    assert plain.dropped_count == 0
    trimmed = trim_to_fit(msgs, "llama3", window=estimate, reserve=100, anchor=anchor)
    assert trimmed.dropped_count == 2
    assert trimmed.kept == (msgs[0], *msgs[3:])
    # The server's surplus is scaled to the share of the covered prefix still kept.
    local = count_messages(trimmed.kept, "llama3")
    assert local < trimmed.tokens < estimate
    assert trimmed.tokens <= estimate - 100


# -- loading -----------------------------------------------------------------------------------


def test_tokenizer_loads_lazily_offline_and_once() -> None:
    code = """
        import socket, sys
        from concurrent.futures import ThreadPoolExecutor

        def refuse(*args, **kwargs):
            raise AssertionError("token counting tried to use the network")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse

        from kibitz.core.conversation import context, tokenizer
        assert "tiktoken" not in sys.modules  # nothing loaded at import
        loads = []  # each time the table is read and the encoding built (~0.1 s)
        load = tokenizer._load
        tokenizer._load = lambda name: loads.append(name) or load(name)
        with ThreadPoolExecutor(8) as pool:  # first use from several threads at once
            count = lambda _: context.count_tokens("tiktoken is great!", "gpt-4")  # noqa: E731
            counts = list(pool.map(count, range(8)))
        again = context.count_tokens("tiktoken is great!", "gpt-4")
        assert counts == [6] * 8 and again == 6, counts
        assert loads == ["cl100k_base"], loads  # once for all nine calls
        # bpe-openai only lends its table files: neither its slow __init__ nor its 71 MB
        # compiled tokenizer is loaded (the installed app leaves the latter out).
        assert not [m for m in sys.modules if m.startswith("bpe_openai")]
        from kibitz.core.conversation.tokenizer import counter
        enc = counter("cl100k_base")._encoding
        assert enc.encode_ordinary("tiktoken is great!") == [83, 1609, 5963, 374, 2294, 0]
        print("ok")
    """
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
