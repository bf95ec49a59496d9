"""Full-text search: matching, snippets, order, deleted conversations and hostile input."""

from __future__ import annotations

import pytest
from store_helpers import FakeClock

from kibitz.core.store import Store, fts_query
from kibitz.core.types import MessageStatus, Role


@pytest.fixture
def filled(store: Store, clock: FakeClock) -> Store:
    texts = [
        "How do I configure the proxy for pip?",
        "Set HTTPS_PROXY, then pip uses it. A Café in Zürich has fast Wi-Fi.",
        "What is a database index? I keep hearing about B-trees.",
        "An index is a sorted structure; the database walks it instead of the whole table.",
    ]
    conv = store.create_conversation("Networking")
    parent = None
    for i, text in enumerate(texts):
        clock.advance(1)
        role = Role.USER if i % 2 == 0 else Role.ASSISTANT
        parent = store.add_message(conv.id, parent, role, text).id
    return store


def test_matches_ignore_case_and_diacritics_and_mark_the_words(filled: Store) -> None:
    hits = filled.search("cafe zurich")
    assert len(hits) == 1
    hit = hits[0]
    assert hit.conversation_title == "Networking"
    assert hit.role is Role.ASSISTANT
    assert "[Café]" in hit.snippet
    assert "[Zürich]" in hit.snippet
    assert filled.get_message(hit.message_id).content.startswith("Set HTTPS_PROXY")


def test_every_word_must_match_and_the_last_is_a_prefix(filled: Store) -> None:
    assert len(filled.search("database")) == 2
    assert len(filled.search("database sorted")) == 1
    assert len(filled.search("datab")) == 2  # typing in progress
    assert len(filled.search("configu")) == 1
    assert filled.search("database nothinglikethis") == []


def test_newest_first_and_limit(filled: Store) -> None:
    hits = filled.search("index")
    assert [h.created_at for h in hits] == sorted((h.created_at for h in hits), reverse=True)
    assert len(hits) == 2
    assert len(filled.search("index", limit=1)) == 1
    assert filled.search("index", limit=0) == []
    assert hits[0].message_id > hits[1].message_id


@pytest.mark.parametrize(
    "query",
    [
        'AND OR NOT "',
        "NEAR(a b)",
        "col:value",
        "^start",
        "***",
        "(((",
        'say "hello',
        "a - b + c",
        "{x y}",
        "'; DROP TABLE messages; --",
        "\x00\x01",
        "abc\x00def",
        "nul\x00",
        "\ud800abc",
        "abc\udfff",
        "日本語",
        "emoji 🎉",
        "",
        "   ",
    ],
)
def test_hostile_queries_never_raise(filled: Store, query: str) -> None:
    hits = filled.search(query)
    assert isinstance(hits, list)
    assert filled.message_count(filled.conversation_ids()[0]) == 4  # nothing dropped


def test_operators_in_the_query_are_plain_words(store: Store) -> None:
    conv = store.create_conversation("ops")
    store.add_message(conv.id, None, Role.USER, "cats AND dogs NEAR the river")
    store.add_message(conv.id, None, Role.USER, "cats only")
    assert len(store.search("cats AND")) == 1
    assert len(store.search("near river")) == 1


def test_fts_query_quotes_each_term() -> None:
    assert fts_query("how do I") == '"how" "do" "I"'  # a one-letter last word is not a prefix
    assert fts_query('say "hi') == '"say" """hi"'
    assert fts_query('quote"d') == '"quote""d"'
    assert fts_query('say "hello') == '"say" """hello"*'
    assert fts_query("config") == '"config"*'
    assert fts_query("  *** ") is None
    assert fts_query("abc\x00def\ud800") == '"abc" "def"*'
    assert fts_query("") is None


def test_edits_and_streamed_text_are_searchable(store: Store) -> None:
    conv = store.create_conversation("s")
    q = store.add_message(conv.id, None, Role.USER, "original wording")
    store.replace_parts(q.id, "replacement wording")
    assert store.search("original") == []
    assert [h.message_id for h in store.search("replacement")] == [q.id]

    w = store.begin_reply(conv.id, q.id)
    w.append("streamed ")
    w.append("photosynthesis")
    w.finish(MessageStatus.COMPLETE, "stop")
    assert [h.message_id for h in store.search("photosynthesis")] == [w.message_id]
    store._db.conn.execute(
        "INSERT INTO message_text_fts (message_text_fts, rank) VALUES ('integrity-check', 1)"
    )


def test_deleted_conversations_are_not_searched(filled: Store, clock: FakeClock) -> None:
    clock.advance(1)
    other = filled.create_conversation("Other")
    filled.add_message(other.id, None, Role.USER, "another database question")
    assert len(filled.search("database")) == 3
    filled.delete([filled.conversation_ids()[-1]])  # "Networking", the older one
    hits = filled.search("database")
    assert [h.conversation_title for h in hits] == ["Other"]
