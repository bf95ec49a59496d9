"""Search results: the store's hits as rows, with the matched words told apart from the rest."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester

from kibitz.core.store import Store
from kibitz.core.types import ConversationId, MessageId, Role
from kibitz.ui.models.search_results import (
    SearchResultsModel,
    SearchRole,
    segments_html,
    snippet_segments,
)


def add_chat(store: Store, title: str, *texts: str) -> tuple[ConversationId, list[MessageId]]:
    conversation = store.create_conversation(title)
    parent: MessageId | None = None
    ids = []
    for i, text in enumerate(texts):
        role = Role.USER if i % 2 == 0 else Role.ASSISTANT
        parent = store.add_message(conversation.id, parent, role, text).id
        ids.append(parent)
    return conversation.id, ids


def test_hits_show_title_snippet_and_ids(qtmodeltester: ModelTester, store: Store) -> None:
    trip, trip_msgs = add_chat(
        store, "Trip", "Plan a trip to Lisbon", "Lisbon in spring is lovely <b>really</b>"
    )
    add_chat(store, "", "Is Lisbon far from Porto?")
    add_chat(store, "Cooking", "How long to boil an egg?")
    model = SearchResultsModel(store)
    qtmodeltester.check(model)
    model.search("lisbon")
    qtmodeltester.check(model)
    assert model.rowCount() == 3
    titles = [model.index(r).data(Qt.ItemDataRole.DisplayRole) for r in range(3)]
    assert titles == ["New chat", "Trip", "Trip"]  # newest first, untitled named
    second = model.index(1)
    assert second.data(SearchRole.CONVERSATION_ID) == trip
    assert second.data(SearchRole.MESSAGE_ID) == trip_msgs[1]
    assert second.data(SearchRole.MESSAGE_ROLE) == "assistant"
    assert second.data(SearchRole.SNIPPET) == "Lisbon in spring is lovely <b>really</b>"
    assert second.data(SearchRole.SEGMENTS)[0] == ("Lisbon", True)
    # The tooltip is rich text: the match is bold, the message's own markup is escaped.
    tooltip = second.data(Qt.ItemDataRole.ToolTipRole)
    assert "<b>Lisbon</b>" in tooltip
    assert "&lt;b&gt;really&lt;/b&gt;" in tooltip
    assert "<b>really</b>" not in tooltip


def test_a_new_query_replaces_the_hits_and_a_blank_one_clears_them(
    qtmodeltester: ModelTester, store: Store
) -> None:
    add_chat(store, "A", "alpha beta", "gamma")
    model = SearchResultsModel(store)
    qtmodeltester.check(model)
    model.search("alpha")
    assert model.rowCount() == 1
    model.search("nothing-like-this")
    assert model.rowCount() == 0
    model.search("gamma")
    assert model.rowCount() == 1
    assert model.query == "gamma"
    model.search("   ")
    assert model.rowCount() == 0


def test_deleted_conversations_are_not_found(store: Store) -> None:
    gone, _ = add_chat(store, "Gone", "secret plans")
    add_chat(store, "Kept", "other plans")
    store.delete([gone])
    model = SearchResultsModel(store)
    model.search("plans")
    assert [model.index(r).data() for r in range(model.rowCount())] == ["Kept"]


def test_segments_mark_only_the_query_words() -> None:
    snippet = "…use a[0] and [Café] then [cafe]s [x] …"
    assert snippet_segments(snippet, "cafe") == [
        ("…use a[0] and ", False),
        ("Café", True),
        (" then ", False),
        ("cafe", True),
        ("s [x] …", False),
    ]


def test_segments_turn_newlines_into_spaces_and_keep_literal_brackets() -> None:
    assert snippet_segments("line one\n[[pyth]on]", "pyth") == [
        ("line one [", False),
        ("pyth", True),
        ("on]", False),
    ]
    assert snippet_segments("no marks here", "here") == [("no marks here", False)]


def test_segments_html_escapes_everything_but_the_emphasis() -> None:
    html = segments_html([("<img src=x>", False), ("&", True)])
    assert html == "&lt;img src=x&gt;<b>&amp;</b>"


def test_results_follow_renames_deletes_and_restores(
    qtmodeltester: ModelTester, store: Store
) -> None:
    trip, _ = add_chat(store, "Trip", "museum in Lisbon")
    food, _ = add_chat(store, "Food", "custard tarts in Lisbon")
    model = SearchResultsModel(store)
    model.search("lisbon")
    qtmodeltester.check(model)

    def titles() -> list[str]:
        return [model.index(r).data() for r in range(model.rowCount())]

    assert titles() == ["Food", "Trip"]
    store.set_title(trip, "Portugal trip")
    assert titles() == ["Food", "Portugal trip"]
    store.delete([food])
    assert titles() == ["Portugal trip"]
    store.delete([trip])
    assert titles() == []
    store.restore([food, trip])
    assert titles() == ["Food", "Portugal trip"]
    # New messages do not re-run the query (it would reset the list under the user).
    add_chat(store, "Later", "Lisbon again")
    assert titles() == ["Food", "Portugal trip"]
