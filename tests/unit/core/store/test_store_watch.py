"""StoreWatcher: two real Stores on one file, one playing the app, the other `kibitz ask`.

What the second one commits must reach the first as the Changes a local mutation gives; what
the first commits itself must not look like someone else's change.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_helpers import FakeClock

from kibitz.core.store import Store, StoreWatcher
from kibitz.core.types import ChangeKind, Changes, ConversationId, MessageStatus, Role


@pytest.fixture
def cli(db_path: Path, store: Store) -> Iterator[Store]:
    """The other process: its own connection to the app's file (opened after the app's)."""
    other = Store.open(db_path, clock=FakeClock(store._clock()))
    yield other
    other.close()


def kinds(changes: tuple[Changes, ...]) -> dict[ChangeKind, set[int]]:
    return {c.kind: set(c.conversation_ids) for c in changes}


def test_nothing_changed_elsewhere_reads_no_table(store: Store, cli: Store) -> None:
    watcher = StoreWatcher(store)
    assert watcher.poll() == ()  # the baseline
    # The app's own commits do not move data_version: nothing to poll for.
    conversation = store.create_conversation("mine")
    store.add_message(conversation.id, None, Role.USER, "hello")
    assert not watcher.changed()
    assert watcher.poll() == ()


def test_a_conversation_asked_elsewhere_is_created(store: Store, cli: Store) -> None:
    watcher = StoreWatcher(store)
    watcher.poll()
    conversation = cli.create_conversation("From the terminal")
    question = cli.add_message(conversation.id, None, Role.USER, "Why is the sky blue?")
    cli.add_message(conversation.id, question.id, Role.ASSISTANT, "Rayleigh.")
    assert watcher.changed()
    assert watcher.poll() == (Changes(ChangeKind.CREATED, (conversation.id,)),)
    assert watcher.poll() == ()  # told once


def test_renames_pins_deletes_restores_and_settings_elsewhere(store: Store, cli: Store) -> None:
    a = store.create_conversation("a")
    b = store.create_conversation("b")
    c = store.create_conversation("c")
    d = store.create_conversation("d")
    store.delete([d.id])
    watcher = StoreWatcher(store)
    watcher.poll()
    cli.set_title(a.id, "a, renamed")
    cli.set_pinned(b.id, True)
    cli.delete([c.id])
    cli.restore([d.id])
    cli.set_system_prompt(a.id, "Be brief.")
    assert kinds(watcher.poll()) == {
        ChangeKind.RENAMED: {a.id},
        ChangeKind.PINNED: {b.id},
        ChangeKind.DELETED: {c.id},
        ChangeKind.RESTORED: {d.id},
        ChangeKind.PARAMS: {a.id},
    }
    cli.purge_deleted()
    assert kinds(watcher.poll()) == {ChangeKind.PURGED: {c.id}}


def test_a_reply_added_to_an_open_conversation_names_the_recent_messages(
    store: Store, cli: Store, clock: FakeClock
) -> None:
    conversation = store.create_conversation("open in the app")
    first = store.add_message(conversation.id, None, Role.USER, "one")
    clock.advance(60)
    answer = store.add_message(conversation.id, first.id, Role.ASSISTANT, "1")
    watcher = StoreWatcher(store)
    watcher.poll()
    # `kibitz ask -c` an hour later.
    cli._clock.advance(3600)  # type: ignore[attr-defined]
    second = cli.add_message(conversation.id, answer.id, Role.USER, "two")
    (changes,) = watcher.poll()
    assert (changes.kind, changes.conversation_ids) == (ChangeKind.MESSAGES, (conversation.id,))
    # The new message, and those of the last seconds before (clocks of two processes may
    # disagree by a lock wait), not the whole conversation.
    assert set(changes.message_ids) == {answer.id, second.id}
    assert store.get_conversation(conversation.id).current_leaf_id == second.id


def test_a_reply_streaming_elsewhere_is_reported_until_it_ends(store: Store, cli: Store) -> None:
    conversation = cli.create_conversation("streaming")
    question = cli.add_message(conversation.id, None, Role.USER, "Tell me a story")
    watcher = StoreWatcher(store)
    watcher.poll()
    writer = cli.begin_reply(conversation.id, question.id)
    (started,) = [c for c in watcher.poll() if c.kind is ChangeKind.MESSAGES]
    assert writer.message_id in started.message_ids
    # Text committed by the other process touches only the reply's parts.
    writer.append("Once upon")
    writer.flush()
    (more,) = watcher.poll()
    assert more == Changes(ChangeKind.MESSAGES, (conversation.id,), (writer.message_id,))
    assert store.get_message(writer.message_id).content == "Once upon"
    writer.append(" a time.")
    writer.finish(MessageStatus.COMPLETE, "stop")
    (ended,) = watcher.poll()
    assert ended.message_ids == (writer.message_id,)
    assert store.get_message(writer.message_id).status is MessageStatus.COMPLETE
    assert watcher.poll() == ()


def test_a_change_before_the_first_poll_refreshes_everything(store: Store, cli: Store) -> None:
    old = store.create_conversation("there before")
    watcher = StoreWatcher(store)
    new = cli.create_conversation("made before the watcher's first look")
    question = cli.add_message(new.id, None, Role.USER, "hello")
    changes = watcher.poll()
    by_kind = {c.kind: c for c in changes}
    assert set(by_kind[ChangeKind.CREATED].conversation_ids) == {old.id, new.id}
    assert by_kind[ChangeKind.MESSAGES].conversation_ids == (new.id,)
    assert by_kind[ChangeKind.MESSAGES].message_ids == (question.id,)


def test_the_store_tells_its_listeners_what_the_watcher_found(store: Store, cli: Store) -> None:
    heard: list[Changes] = []
    store.add_listener(heard.append)
    watcher = StoreWatcher(store)
    watcher.poll()
    made = cli.create_conversation("elsewhere")
    for changes in watcher.poll():
        store.announce(changes)
    assert heard == [Changes(ChangeKind.CREATED, (ConversationId(made.id),))]
    store.announce(Changes(ChangeKind.MESSAGES, ()))  # nothing named: nobody is bothered
    assert len(heard) == 1
