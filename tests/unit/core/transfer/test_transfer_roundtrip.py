"""JSON export is lossless: imported into an empty data folder it gives the same conversations."""

from __future__ import annotations

import base64
import io
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from transfer_helpers import PDF, PNG, fill, snapshot, with_every_part

from kibitz.core.store import Store, blob_digest
from kibitz.core.transfer import (
    FORMAT_NAME,
    ExportWriteError,
    chosen_conversations,
    export_json_file,
    import_file,
    write_json_stream,
)
from kibitz.core.types import (
    FilePart,
    ImagePart,
    MessageStatus,
    TextPart,
    ToolResultPart,
    ToolStatus,
    Usage,
)


def test_round_trip_into_an_empty_data_folder(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    conversations = fill(store)
    everything = [*store.list_conversations(), conversations["gone"]]  # the deleted one too
    progress: list[tuple[int, int]] = []
    path = export_json_file(
        store,
        everything,
        tmp_path / "out" / "all.json",
        progress=lambda d, t: progress.append((d, t)),
    )
    assert progress[-1] == (5, 5)
    report = import_file(other_store, path)
    assert (report.kind, len(report.imported), report.skipped) == ("kibitz", 5, ())
    # Trees, parameters, usage, statuses, errors, timestamps, uids, pins, deletion: all equal.
    before, after = snapshot(store), snapshot(other_store)
    assert len(after) == 5
    assert after == before
    # Spot checks of what the snapshot compares, so this test cannot pass vacuously.
    trip = other_store.find_by_uid(conversations["trip"].uid)
    assert trip is not None
    assert (trip.params.stop, trip.params.temperature) == (("END",), 0.2)
    assert trip.provider == "work"
    assert [m.content for m in other_store.branch(trip.id)] == [
        "Where should I stay?", "Alfama is lovely.", "And in the evening?"
    ]  # fmt: skip
    usage = {m.content: m.usage for m in other_store.all_messages(trip.id) if m.usage}
    assert usage["Try Baixa."] == Usage(20, 3, 23)
    old_ids = [m.id for m in store.all_messages(conversations["trip"].id)]
    new_ids = [m.id for m in other_store.all_messages(trip.id)]
    renumbered = dict(zip(old_ids, new_ids, strict=True))
    old_positions = store.sibling_positions(conversations["trip"].id)
    assert other_store.sibling_positions(trip.id) == {
        renumbered[old]: position for old, position in old_positions.items()
    }, "siblings keep their order (the branch switcher's 1 / 2)"
    gone = other_store.find_by_uid(conversations["gone"].uid)
    assert gone is not None
    assert gone.deleted_at == conversations["gone"].deleted_at


def test_round_trip_again_skips_everything(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    fill(store)
    path = export_json_file(store, chosen_conversations(store, None), tmp_path / "all.json")
    import_file(other_store, path)
    before = snapshot(other_store)
    again = import_file(other_store, path)
    assert again.imported == ()
    assert sorted(again.skipped) == sorted(c.title for c in store.list_conversations())
    assert snapshot(other_store) == before
    # Into the store it came from: every uid is there already.
    assert import_file(store, path).imported == ()


def test_imported_conversations_go_on_working(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    conversations = fill(store)
    path = export_json_file(store, [conversations["trip"]], tmp_path / "one.json")
    (cid,) = import_file(other_store, path).imported
    leaf = other_store.get_conversation(cid).current_leaf_id
    reply = other_store.add_message(cid, leaf, "assistant", "Go to a fado house.")  # type: ignore[arg-type]
    assert other_store.branch(cid)[-1] == reply
    assert other_store.search("fado")[0].conversation_id == cid, "imported text is searchable"
    assert other_store.search("pastéis")[0].conversation_id == cid


def test_streaming_replies_are_imported_as_interrupted(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    conversation = store.create_conversation("Mid-reply")
    question = store.add_message(conversation.id, None, "user", "Hi")  # type: ignore[arg-type]
    writer = store.begin_reply(conversation.id, question.id, model="m")
    writer.append("Partial")
    writer.flush()
    path = export_json_file(store, [store.get_conversation(conversation.id)], tmp_path / "x.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["conversations"][0]["messages"][1]["status"] == "streaming"
    (cid,) = import_file(other_store, path).imported
    assert other_store.branch(cid)[-1].status is MessageStatus.INTERRUPTED


def test_the_file_is_one_conversation_per_line(store: Store, tmp_path: Path) -> None:
    fill(store)
    chosen = chosen_conversations(store, None)
    path = export_json_file(store, chosen, tmp_path / "all.json")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(chosen) + 2
    document = json.loads("\n".join(lines))
    assert (document["format"], document["version"]) == (FORMAT_NAME, 2)
    assert [c["id"] for c in document["conversations"]] == [c.id for c in chosen]
    out = io.StringIO()
    assert write_json_stream(store, chosen, out) == len(chosen)
    assert json.loads(out.getvalue())["conversations"] == document["conversations"]


def test_an_export_is_replaced_only_when_complete(store: Store, tmp_path: Path) -> None:
    fill(store)
    target = tmp_path / "all.json"
    target.write_text("the previous export", encoding="utf-8")

    class Boom(Exception):
        pass

    def fail(done: int, total: int) -> None:
        if done == 2:
            raise Boom

    chosen = chosen_conversations(store, None)
    with pytest.raises(Boom):
        export_json_file(store, chosen, target, progress=fail)
    assert target.read_text(encoding="utf-8") == "the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.json", "data"], "no temp file left"
    with pytest.raises(ExportWriteError) as caught:
        export_json_file(store, chosen, tmp_path)
    assert caught.value.detail == f"{tmp_path} is a folder"


def document_of(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def test_every_part_type_round_trips_with_its_bytes(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    conversation = with_every_part(store)
    first = export_json_file(store, [conversation], tmp_path / "first.json")
    document = document_of(first)
    question, reply = document["conversations"][0]["messages"]
    # The interface scripts rely on: role and content (the answer only), then the parts.
    assert (reply["role"], reply["content"]) == ("assistant", "A chart and notes.")
    assert question["content"] == "What is in these?\n\nSecond paragraph."
    assert question["parts"][1] == {
        "type": "image", "name": "chart 1.png", "mime_type": "image/png",
        "width": 640, "height": 480, "data": base64.b64encode(PNG).decode("ascii"),
    }  # fmt: skip
    assert question["parts"][2] == {
        "type": "file", "name": "notes.pdf", "mime_type": "application/pdf",
        "text": "naïve café", "data": base64.b64encode(PDF).decode("ascii"),
    }  # fmt: skip
    assert reply["parts"][:3] == [
        {"type": "reasoning", "text": "Look at the chart first.", "seconds": 4.5},
        {"type": "tool_call", "id": "call_1", "name": "fs__read",
         "arguments": '{"path": "notes.pdf"}', "server": "files", "tool": "read"},
        {"type": "tool_result", "tool_call_id": "call_1", "content": "naïve café",
         "is_error": False, "status": "ok"},
    ]  # fmt: skip
    assert reply["parts"][4]["status"] == "denied"
    assert reply["parts"][7] == {"type": "reasoning", "text": "Then the notes."}
    assert reply["usage"] == {
        "prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150,
        "reasoning_tokens": 30, "cached_tokens": 0,
    }  # fmt: skip

    report = import_file(other_store, first)
    assert len(report.imported) == 1
    assert snapshot(other_store) == snapshot(store), "the same messages and parts"
    (copy,) = other_store.list_conversations()
    digests = {
        p.blob
        for m in other_store.all_messages(copy.id)
        for p in m.parts
        if isinstance(p, ImagePart | FilePart)
    }
    assert len(digests) == 2
    for digest in digests:
        assert other_store.blob(digest) == store.blob(digest), "byte-identical files"
    # And out again: the very same conversations (same ids too, in an empty data folder).
    second = export_json_file(other_store, [copy], tmp_path / "second.json")
    assert document_of(second)["conversations"] == document["conversations"]


def test_a_version_1_file_still_imports(other_store: Store, tmp_path: Path) -> None:
    """What Kibitz wrote before parts: content only, usage without reasoning tokens."""
    message = {
        "id": 1, "parent_id": None, "role": "user", "content": "Hello **there**",
        "status": "complete", "created_at": 1_700_000_000.5, "updated_at": 1_700_000_000.5,
        "model": None, "finish_reason": None, "usage": None, "error": None, "choice_index": 0,
    }  # fmt: skip
    reply = {
        **message, "id": 2, "parent_id": 1, "role": "assistant", "content": "Hi.",
        "model": "gpt-4o", "usage": {"prompt_tokens": 3, "completion_tokens": 2,
                                     "total_tokens": 5},
    }  # fmt: skip
    empty = {**message, "id": 3, "parent_id": 2, "content": ""}
    conversation = {
        "id": 7, "uid": "old-uid", "title": "Old", "created_at": 1_700_000_000.0,
        "updated_at": 1_700_000_001.0, "pinned": False, "deleted_at": None,
        "system_prompt": None, "params": {}, "provider": None, "current_leaf_id": 3,
        "messages": [message, reply, empty],
    }  # fmt: skip
    path = tmp_path / "v1.json"
    path.write_text(
        json.dumps({"format": FORMAT_NAME, "version": 1, "conversations": [conversation]}),
        encoding="utf-8",
    )
    (cid,) = import_file(other_store, path).imported
    question, answer, nothing = other_store.branch(cid)
    assert question.parts == (TextPart("Hello **there**"),)
    assert answer.parts == (TextPart("Hi."),)
    assert answer.usage == Usage(3, 2, 5, reasoning_tokens=0)
    assert nothing.parts == ()


def test_a_file_made_by_hand_may_give_parts_without_content(
    other_store: Store, tmp_path: Path
) -> None:
    data = base64.b64encode(PNG).decode("ascii")
    wrapped = "\n".join(data[i : i + 76] for i in range(0, len(data), 76))  # MIME-style lines
    message = {
        "id": 1, "parent_id": None, "role": "user", "status": "complete",
        "created_at": 1_700_000_000.0,
        "parts": [{"type": "image", "name": "a.png", "mime_type": "image/png", "data": wrapped},
                  {"type": "tool_result", "tool_call_id": "x", "content": "", "is_error": True}],
    }  # fmt: skip
    conversation = {"uid": "hand", "title": "By hand", "created_at": 1_700_000_000.0,
                    "updated_at": 1_700_000_000.0, "messages": [message]}  # fmt: skip
    path = tmp_path / "hand.json"
    path.write_text(
        json.dumps({"format": FORMAT_NAME, "version": 2, "conversations": [conversation]}),
        encoding="utf-8",
    )
    (cid,) = import_file(other_store, path).imported
    (stored,) = other_store.all_messages(cid)
    image, result = stored.parts
    assert isinstance(image, ImagePart)
    assert (image.size, image.width, other_store.blob(image.blob)) == (len(PNG), None, PNG)
    assert result == ToolResultPart("x", "", is_error=True, status=ToolStatus.ERROR)


def test_a_missing_blob_stops_the_export_and_says_where(store: Store, tmp_path: Path) -> None:
    conversation = with_every_part(store)
    # Damage the database as a failing disk could (a plain connection checks no foreign key).
    with closing(sqlite3.connect(tmp_path / "data" / "kibitz.sqlite3")) as conn, conn:
        conn.execute("DELETE FROM blobs WHERE sha256 = ?", (blob_digest(PDF),))
    target = tmp_path / "all.json"
    with pytest.raises(ExportWriteError) as caught:
        export_json_file(store, [conversation], target)
    assert caught.value.headline == "A stored file is missing"
    assert caught.value.detail == (
        f"conversation {conversation.id} (“Every part”), message 1: blob {blob_digest(PDF)}"
    )
    assert not target.exists()
