"""JSON export is lossless: imported into an empty data folder it gives the same conversations."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from transfer_helpers import fill, snapshot

from kibitz.core.store import Store
from kibitz.core.transfer import (
    FORMAT_NAME,
    ExportWriteError,
    chosen_conversations,
    export_json_file,
    import_file,
    write_json_stream,
)
from kibitz.core.types import MessageStatus, Usage


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
