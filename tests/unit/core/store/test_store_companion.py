"""A second connection for long writes: the first keeps reading while an import's
transaction runs, and its listeners hear what the import added."""

from __future__ import annotations

import threading
from pathlib import Path

from kibitz.core.store import Store
from kibitz.core.store.imports import ImportedConversation, ImportedMessage
from kibitz.core.types import ChangeKind, Changes, Role, as_parts


def _conversation(uid: str) -> ImportedConversation:
    messages = (
        ImportedMessage(None, Role.USER, as_parts(f"question {uid}"), 1.0),
        ImportedMessage(0, Role.ASSISTANT, as_parts(f"answer {uid}"), 2.0),
    )
    return ImportedConversation(uid, f"Title {uid}", 1.0, 2.0, messages, current_leaf=1)


def test_reads_go_on_while_the_companion_writes(tmp_path: Path) -> None:
    with Store.open(tmp_path / "k.sqlite3") as store:
        store.create_conversation("Already here")
        heard: list[Changes] = []
        store.add_listener(heard.append)
        read_during_import: list[int] = []

        def read_from_the_first_connection(done: int, total: int) -> None:
            # Called inside the import's open transaction. A reader on another thread
            # must get through; with one shared connection it would wait for the lock.
            if done != 1:
                return
            reader = threading.Thread(
                target=lambda: read_during_import.append(len(store.conversation_ids()))
            )
            reader.start()
            reader.join(timeout=5)
            assert not reader.is_alive(), "the first connection was blocked by the import"

        with store.companion() as own:
            outcome = own.import_conversations(
                [_conversation("a"), _conversation("b")], progress=read_from_the_first_connection
            )
        # The reader saw the state before the import's commit (snapshot isolation).
        assert read_during_import == [1]
        assert len(store.conversation_ids()) == 3
        assert [c.kind for c in heard] == [ChangeKind.CREATED]
        assert set(heard[0].conversation_ids) == set(outcome.created)
        # Closing the companion leaves the first connection working.
        store.create_conversation("After")
        assert len(store.conversation_ids()) == 4
