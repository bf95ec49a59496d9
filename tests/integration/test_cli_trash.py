"""`kibitz trash` over a real database: the listing, --restore and --empty, as a user runs them."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from kibitz.core.store import Store
from kibitz.core.store.conversations import TRASH_DAYS
from kibitz.core.types import ConversationId, Role
from tests.integration.cli_support import cli_env, database, run_cli


@pytest.fixture
def trashed(tmp_path: Path) -> tuple[Path, list[ConversationId]]:
    """Two deleted conversations (the second deleted last) and a live one."""
    basedir = tmp_path / "home"
    ids = []
    with Store.open(database(basedir)) as store:
        for title in ("Old plan", "Old recipe", "Live one"):
            conversation = store.create_conversation(title)
            store.add_message(conversation.id, None, Role.USER, f"about {title}")
            ids.append(conversation.id)
        store.delete([ids[0]])
        store.delete([ids[1]])
    return basedir, ids


def kibitz(basedir: Path, *args: str) -> tuple[int, str, list[str]]:
    result = run_cli(["--basedir", str(basedir), *args], env=cli_env())
    return result.returncode, result.stdout, result.messages


def titles_in_file(basedir: Path) -> set[str]:
    with closing(sqlite3.connect(database(basedir))) as conn:
        return {str(r[0]) for r in conn.execute("SELECT title FROM conversations")}


def test_trash_lists_what_is_in_it_and_says_for_how_long(
    trashed: tuple[Path, list[ConversationId]],
) -> None:
    basedir, ids = trashed
    code, out, messages = kibitz(basedir, "trash")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "DELETED", "MSGS", "TITLE"]
    assert [line.split(maxsplit=4)[-1] for line in lines[1:]] == ["Old recipe", "Old plan"]
    assert messages == [
        f"kibitz: Conversations in the Trash are deleted for good after {TRASH_DAYS} days."
    ]
    code, out, _ = kibitz(basedir, "trash", "--json")
    assert [(row["id"], row["title"]) for row in json.loads(out)] == [
        (ids[1], "Old recipe"),
        (ids[0], "Old plan"),
    ]
    code, out, _ = kibitz(basedir, "trash", "--help")
    assert f"{TRASH_DAYS} days" in " ".join(out.split())


def test_restore_puts_them_back_and_names_what_was_not_there(
    trashed: tuple[Path, list[ConversationId]],
) -> None:
    basedir, ids = trashed
    code, _, messages = kibitz(basedir, "trash", "--restore", str(ids[0]), str(ids[2]))
    assert code == 1
    assert messages == [
        "kibitz: Restored 1 conversation.",
        f"kibitz: Not in the Trash: {ids[2]}.",
        "  Run `kibitz trash` to see the ids of deleted conversations.",
    ]
    with Store.open(database(basedir)) as store:
        assert set(store.conversation_ids()) == {ids[0], ids[2]}


def test_empty_deletes_them_for_good(trashed: tuple[Path, list[ConversationId]]) -> None:
    basedir, _ = trashed
    code, _, messages = kibitz(basedir, "trash", "--empty")
    assert (code, messages) == (0, ["kibitz: Deleted 2 conversations for good."])
    assert titles_in_file(basedir) == {"Live one"}
    code, out, messages = kibitz(basedir, "trash")
    assert (code, out, messages) == (0, "", ["kibitz: The Trash is empty."])
