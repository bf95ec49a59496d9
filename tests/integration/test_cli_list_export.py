"""`kibitz list` and `kibitz export` over a real database; --basedir and KIBITZ_HOME for all."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from kibitz.core.store import Store
from kibitz.core.types import (
    Conversation,
    ConversationId,
    Message,
    MessageStatus,
    RequestParams,
    Role,
    TextPart,
    Usage,
    text_of,
)
from tests.integration.cli_support import cli_env, database, run_cli, stored, write_settings
from tests.support.fake_openai import FakeOpenAI

CODE_REPLY = "Like this:\n\n```python\nprint('hi')  # ``` inside\n```\n"


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        self.now += 60.0
        return self.now


@pytest.fixture
def filled(basedir: Path) -> Path:
    """Three conversations: one with an edited (branched) question, one pinned with an
    interrupted code reply and a system prompt, and one deleted."""
    with Store.open(database(basedir), clock=Clock()) as store:
        trip = store.create_conversation(
            "Trip to Lisbon", params=RequestParams(model="gpt-4o", temperature=0.2)
        )
        eat = store.add_message(trip.id, None, Role.USER, "Where should I eat?")
        store.add_message(
            trip.id, eat.id, Role.ASSISTANT, "Try the pastéis.", model="gpt-4o",
            usage=Usage(12, 5, 17), finish_reason="stop",
        )  # fmt: skip
        # An edited question is a sibling: the old branch stays, the new one is current.
        stay = store.add_message(trip.id, None, Role.USER, "Where should I stay?")
        store.add_message(trip.id, stay.id, Role.ASSISTANT, "Alfama is lovely.", model="gpt-4o")

        code = store.create_conversation("Code question", system_prompt="Be brief.")
        ask = store.add_message(code.id, None, Role.USER, "Show me code")
        store.add_message(
            code.id, ask.id, Role.ASSISTANT, CODE_REPLY, status=MessageStatus.INTERRUPTED,
            error="stream_interrupted: The connection dropped in the middle of the reply",
        )  # fmt: skip
        store.set_pinned(code.id, True)

        gone = store.create_conversation("Deleted one")
        store.add_message(gone.id, None, Role.USER, "forget me")
        store.delete([gone.id])
    return basedir


def kibitz(basedir: Path, *args: str) -> tuple[int, str, list[str]]:
    result = run_cli(["--basedir", str(basedir), *args], env=cli_env())
    return result.returncode, result.stdout, result.messages


def conversations(basedir: Path) -> dict[int, tuple[Conversation, list[Message]]]:
    with Store.open(database(basedir)) as store:
        found = [*store.list_conversations(), *store.list_conversations(deleted=True)]
        return {c.id: (c, store.all_messages(c.id)) for c in found}


def _local(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M")


def test_list_table(filled: Path) -> None:
    code, out, messages = kibitz(filled, "list")
    assert (code, messages) == (0, [])
    known = conversations(filled)
    trip, pinned = known[1][0], known[2][0]
    assert out.splitlines() == [
        "ID  UPDATED           MSGS  TITLE",
        f" 2  {_local(pinned.updated_at)}     2  * Code question",
        f" 1  {_local(trip.updated_at)}     4  Trip to Lisbon",
    ]


def test_list_json(filled: Path) -> None:
    code, out, _ = kibitz(filled, "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["id"], r["title"], r["message_count"], r["pinned"]) for r in rows] == [
        (2, "Code question", 2, True),
        (1, "Trip to Lisbon", 4, False),
    ]
    known = conversations(filled)
    for row in rows:
        updated = datetime.fromisoformat(row["updated"])
        assert updated.tzinfo is not None
        assert updated.timestamp() == pytest.approx(known[row["id"]][0].updated_at, abs=1e-5)


def test_list_when_empty(basedir: Path) -> None:
    code, out, messages = kibitz(basedir, "list")
    assert (code, out) == (0, "")
    assert messages[0].startswith("kibitz: No conversations yet.")
    code, out, _ = kibitz(basedir, "list", "--json")
    assert (code, json.loads(out)) == (0, [])


def test_markdown_export_writes_one_file_per_conversation(filled: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "exports" / "md"
    code, out, messages = kibitz(filled, "export", "--out", str(out_dir))
    assert (code, out) == (0, "")
    assert messages == [f"kibitz: exported 2 conversations to {out_dir}"]
    known = conversations(filled)
    trip_uid, code_uid = known[1][0].uid, known[2][0].uid
    # Named by creation date (UTC), title and uid: stable across exports and machines.
    files = [
        f"2025-06-15 trip-to-lisbon ({trip_uid[:8]}).md",
        f"2025-06-15 code-question ({code_uid[:8]}).md",
    ]
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(files)

    trip = (out_dir / files[0]).read_text(encoding="utf-8")
    assert trip.startswith(f'---\ntitle: "Trip to Lisbon"\nid: "{trip_uid}"\n')
    assert 'model: "gpt-4o"' in trip
    # The current branch only: the edited-away question is in the JSON export, not here.
    assert "## User\n\nWhere should I stay?\n\n## Assistant (gpt-4o)\n\nAlfama is lovely.\n" in trip
    assert "Where should I eat?" not in trip

    code_md = (out_dir / files[1]).read_text(encoding="utf-8")
    assert "## System\n\nBe brief." in code_md
    assert CODE_REPLY.rstrip() in code_md, "code fences must survive verbatim"
    assert "> *Reply interrupted: stream_interrupted:" in code_md


def test_markdown_of_one_conversation_goes_to_stdout(filled: Path, tmp_path: Path) -> None:
    kibitz(filled, "export", "--out", str(tmp_path / "md"))
    code, out, messages = kibitz(filled, "export", "2")
    assert (code, messages) == (0, [])
    uid = conversations(filled)[2][0].uid
    written = tmp_path / "md" / f"2025-06-15 code-question ({uid[:8]}).md"
    assert out == written.read_text(encoding="utf-8")


@pytest.mark.parametrize("ids", [[], ["1", "2"]])
def test_markdown_of_several_conversations_needs_a_folder(filled: Path, ids: list[str]) -> None:
    code, out, messages = kibitz(filled, "export", *ids)
    assert (code, out) == (2, "")
    assert messages == [
        "kibitz: 2 conversations cannot go to stdout as Markdown.",
        "  Give one ID, or --out DIR for one file per conversation.",
    ]


def test_markdown_export_refuses_a_file_as_folder(filled: Path, tmp_path: Path) -> None:
    target = tmp_path / "notes.md"
    target.write_text("mine", encoding="utf-8")
    code, _, messages = kibitz(filled, "export", "--out", str(target))
    assert code == 2
    assert messages[0] == f"kibitz: {target} is a file."
    assert target.read_text(encoding="utf-8") == "mine"


def test_json_export_is_lossless(filled: Path, tmp_path: Path) -> None:
    target = tmp_path / "all.json"
    code, out, messages = kibitz(filled, "export", "--format", "json", "--out", str(target))
    assert (code, out) == (0, "")
    assert messages == [f"kibitz: exported 2 conversations to {target}"]
    document = json.loads(target.read_text(encoding="utf-8"))
    assert (document["format"], document["version"]) == ("kibitz-export", 2)

    known = conversations(filled)
    exported = {c["id"]: c for c in document["conversations"]}
    assert sorted(exported) == [1, 2], "the deleted conversation is not exported"
    for cid, data in exported.items():
        conversation, messages_ = known[cid]
        assert data["uid"] == conversation.uid
        assert data["title"] == conversation.title
        assert data["system_prompt"] == conversation.system_prompt
        assert data["pinned"] == conversation.pinned
        assert data["deleted_at"] is None
        assert data["params"] == conversation.params.overridden()
        assert data["current_leaf_id"] == conversation.current_leaf_id
        assert (data["created_at"], data["updated_at"]) == (
            conversation.created_at,
            conversation.updated_at,
        )
        assert [_message_back(m, ConversationId(cid)) for m in data["messages"]] == messages_

    # Both branches of the edited conversation.
    roots = [m["content"] for m in exported[1]["messages"] if m["parent_id"] is None]
    assert roots == ["Where should I eat?", "Where should I stay?"]


def _message_back(data: dict[str, object], cid: ConversationId) -> Message:
    usage = data["usage"]
    assert isinstance(data["parts"], list)
    parts = tuple(TextPart(p["text"]) for p in data["parts"] if p["type"] == "text")
    assert len(parts) == len(data["parts"]), "these messages hold text only"
    assert data["content"] == text_of(parts)
    return Message(
        id=data["id"],  # type: ignore[arg-type]
        conversation_id=cid,
        parent_id=data["parent_id"],  # type: ignore[arg-type]
        role=Role(data["role"]),
        parts=parts,
        status=MessageStatus(data["status"]),
        created_at=data["created_at"],  # type: ignore[arg-type]
        updated_at=data["updated_at"],  # type: ignore[arg-type]
        model=data["model"],  # type: ignore[arg-type]
        finish_reason=data["finish_reason"],  # type: ignore[arg-type]
        usage=Usage(**usage) if isinstance(usage, dict) else None,
        error=data["error"],  # type: ignore[arg-type]
        choice_index=data["choice_index"],  # type: ignore[arg-type]
    )


def test_json_export_of_chosen_ids_to_stdout(filled: Path) -> None:
    code, out, messages = kibitz(filled, "export", "--format", "json", "1", "3")
    assert (code, messages) == (0, [])
    trip, deleted = json.loads(out)["conversations"]
    assert (trip["id"], len(trip["messages"]), trip["deleted_at"]) == (1, 4, None)
    # Named by id, a deleted conversation is exported, and says that it was deleted.
    assert deleted["id"] == 3
    assert deleted["deleted_at"] == conversations(filled)[3][0].deleted_at
    assert deleted["deleted_at"] is not None


def test_export_of_an_unknown_id_writes_nothing(filled: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "md"
    code, _, messages = kibitz(filled, "export", "1", "99", "--out", str(out_dir))
    assert code == 1
    assert messages == [
        "kibitz: No such conversation: conversation 99",
        "  Run `kibitz list` to see the conversation ids.",
    ]
    assert not out_dir.exists()


def test_basedir_before_or_after_the_command_and_kibitz_home(
    filled: Path, tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    elsewhere = tmp_path / "elsewhere"
    ids = [2, 1]

    def listed(args: list[str], home: Path | None = None) -> list[int]:
        result = run_cli(args, env=cli_env(home=home))
        assert result.returncode == 0, result.describe()
        return [row["id"] for row in json.loads(result.stdout)]

    assert listed(["--basedir", str(filled), "list", "--json"]) == ids
    assert listed(["list", "--basedir", str(filled), "--json"]) == ids
    assert listed(["list", "--json"], home=filled) == ids
    # --basedir wins over KIBITZ_HOME, wherever it is given.
    assert listed(["list", "--json", "--basedir", str(filled)], home=elsewhere) == ids
    assert listed(["--basedir", str(elsewhere), "list", "--json"], home=filled) == []

    result = run_cli(
        ["export", "--format", "json", "--basedir", str(filled)], env=cli_env(home=elsewhere)
    )
    assert len(json.loads(result.stdout)["conversations"]) == 2

    # ask, with the flag after the command, and through KIBITZ_HOME.
    for args, home in (
        (["ask", "--basedir", str(elsewhere), "from the flag"], None),
        (["ask", "from the environment"], elsewhere),
    ):
        result = run_cli(args, env=cli_env(base_url=fake_openai.url, home=home))
        assert result.returncode == 0, result.describe()
    assert [c.user_texts for c in stored(elsewhere)] == [
        ["from the flag"],
        ["from the environment"],
    ]

    # key: a provider profile that exists only in this base dir's settings is found.
    write_settings(
        elsewhere,
        '[[providers.profiles]]\nname = "work"\nkind = "custom"\n'
        'base_url = "http://127.0.0.1:9/v1"\n',
    )
    unknown = run_cli(["key", "delete", "--provider", "work"], env=cli_env(home=filled))
    assert unknown.returncode == 1
    assert unknown.messages[0] == (
        "kibitz: Unknown provider: there is no provider profile named 'work'"
    )
    for args, home in (
        (["key", "delete", "--provider", "work", "--basedir", str(elsewhere)], None),
        (["--basedir", str(elsewhere), "key", "delete", "--provider", "work"], None),
        (["key", "delete", "--provider", "work"], elsewhere),
    ):
        found = run_cli(args, env=cli_env(home=home))
        # Past the profile check: what remains is the keyring's answer (none outside run.sh).
        assert "Unknown provider" not in found.stderr, found.describe()


def test_export_flags_all_ids_format_and_branches(filled: Path, tmp_path: Path) -> None:
    code, out, messages = kibitz(
        filled, "export", "--all", "--format", "md", "--out", str(tmp_path / "a")
    )
    assert (code, messages) == (0, [f"kibitz: exported 2 conversations to {tmp_path / 'a'}"])
    code, out, messages = kibitz(filled, "export", "--ids", "1,3", "--format", "json")
    assert (code, messages) == (0, [])
    assert [c["id"] for c in json.loads(out)["conversations"]] == [1, 3]
    code, out, _ = kibitz(filled, "export", "--ids", "2", "--ids", "1", "--format", "JSON")
    assert [c["id"] for c in json.loads(out)["conversations"]] == [2, 1]

    # The current branch by default; --all-branches adds the edited-away question.
    code, current, _ = kibitz(filled, "export", "1")
    assert "Where should I eat?" not in current
    code, every, _ = kibitz(filled, "export", "1", "--all-branches")
    assert code == 0
    assert every.startswith(current.rstrip("\n"))
    assert (
        "## Other branches\n\n### Branch 2\n\n*Another version from the first message on.*" in every
    )
    assert (
        "#### User\n\nWhere should I eat?\n\n#### Assistant (gpt-4o)\n\nTry the pastéis." in every
    )


def test_export_flag_conflicts_and_json_into_a_folder(filled: Path, tmp_path: Path) -> None:
    code, out, messages = kibitz(filled, "export", "--all", "1")
    assert (code, out) == (2, "")
    assert messages == [
        "kibitz: --all and conversation IDs do not go together.",
        "  Give one or the other.",
    ]
    code, _, messages = kibitz(filled, "export", "--ids", "1,x")
    assert code == 2
    assert "'x' is not a conversation id" in messages[-1]
    folder = tmp_path / "backups"
    folder.mkdir()
    code, _, messages = kibitz(filled, "export", "--format", "json", "--out", str(folder))
    (written,) = folder.iterdir()
    assert written.name.startswith("kibitz-export-")
    assert written.suffix == ".json"
    assert messages == [f"kibitz: exported 2 conversations to {written}"]
    assert len(json.loads(written.read_text(encoding="utf-8"))["conversations"]) == 2
