"""Bad files: each gets an error naming what is wrong and where, and nothing is imported."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from tests.support.chatgpt_export import ChatGPTConversation, write_export_zip
from transfer_helpers import PDF, PNG, fill, snapshot, with_every_part, write

from kibitz.core.store import Store, blob_digest
from kibitz.core.transfer import ImportFileError, export_json_file, import_file


def good_conversations(count: int = 3) -> list[dict[str, object]]:
    out = []
    for n in range(count):
        chat = ChatGPTConversation(f"Good {n}", conversation_id=f"good-{n}")
        chat.user("Hello")
        chat.assistant("Hi")
        out.append(chat.to_json())
    return out


def rejected(store: Store, path: Path) -> ImportFileError:
    """Import `path`, which must fail, and check that the store did not change."""
    before = snapshot(store)
    with pytest.raises(ImportFileError) as caught:
        import_file(store, path)
    assert snapshot(store) == before, "nothing may be imported from a bad file"
    assert caught.value.hint.startswith("Nothing was imported.")
    return caught.value


@pytest.fixture
def filled(store: Store) -> Store:
    fill(store)  # bad files must leave what is there untouched, not only an empty store
    return store


def test_malformed_json_names_line_and_column(filled: Store, tmp_path: Path) -> None:
    text = json.dumps(good_conversations(), indent=1)
    broken = text.replace('"Good 1"', '"Good 1",,', 1)
    line = broken[: broken.index(",,")].count("\n") + 1
    error = rejected(filled, write(tmp_path / "conversations.json", broken))
    assert error.where.startswith(f"conversations.json, line {line}, column ")
    assert (
        error.problem
        == "invalid JSON in conversation 2: Expecting property name enclosed in double quotes"
    )
    assert str(error).startswith("This file cannot be imported: conversations.json, line")


def test_a_bad_separator_between_conversations(filled: Store, tmp_path: Path) -> None:
    text = json.dumps(good_conversations(2)).replace("}, {", "} {", 1)
    error = rejected(filled, write(tmp_path / "c.json", text))
    assert error.problem == "invalid JSON in the list after conversation 1: Expecting ',' delimiter"
    assert error.where.startswith("c.json, line 1, column ")


def test_a_truncated_file(filled: Store, tmp_path: Path) -> None:
    text = json.dumps(good_conversations(3))
    cut = text[: int(len(text) * 0.8)]
    error = rejected(filled, write(tmp_path / "conversations.json", cut))
    assert error.problem == "the file ends in the middle of conversation 3: it is cut short"
    assert "download the export again" in error.hint
    missing_bracket = text[:-1]
    error = rejected(filled, write(tmp_path / "conversations.json", missing_bracket))
    assert (
        error.problem
        == "the file ends in the middle of the list after conversation 3: it is cut short"
    )


def test_a_truncated_zip(filled: Store, tmp_path: Path) -> None:
    whole = write_export_zip(tmp_path / "export.zip", good_conversations(20)).read_bytes()
    error = rejected(filled, write(tmp_path / "cut.zip", whole[: len(whole) // 2]))
    assert error.where == "cut.zip"
    assert error.problem.startswith("this is not a complete zip archive")


def test_a_zip_with_a_damaged_member(filled: Store, tmp_path: Path) -> None:
    path = write_export_zip(tmp_path / "export.zip", good_conversations(5))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("conversations.json")
    start = info.header_offset + 30 + len(info.filename) + 10
    data[start : start + 20] = bytes(20)  # zero out compressed bytes: a CRC or inflate error
    error = rejected(filled, write(tmp_path / "damaged.zip", bytes(data)))
    assert error.where == "damaged.zip › conversations.json"
    assert error.problem.startswith("it is damaged in the archive")


def test_a_zip_without_conversations(filled: Store, tmp_path: Path) -> None:
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("user.json", "{}")
        archive.writestr("chat.html", "<html></html>")
    error = rejected(filled, path)
    assert (error.where, error.problem) == (
        "photos.zip",
        "the zip archive holds no conversations.json",
    )
    assert "Export data" in error.hint


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("notes.json", '{"notes": []}',
         "this JSON is neither a ChatGPT export nor a Kibitz export"),
        ("list.json", '[{"role": "user", "content": "hi"}]',
         "this JSON list is not a ChatGPT export (no message tree)"),
        ("numbers.json", "[1, 2, 3]", "this JSON list is not a ChatGPT export (no message tree)"),
        ("readme.md", "# Hello\n", "this is not JSON: not a ChatGPT or Kibitz export"),
        ("empty.json", "  \n", "the file is empty"),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
         "this is not a JSON text file (byte 0 is not UTF-8 text)"),
        ("fake.zip", "not a zip", "this is not a zip archive"),
    ],
)  # fmt: skip
def test_unknown_formats(
    filled: Store, tmp_path: Path, name: str, content: str | bytes, problem: str
) -> None:
    error = rejected(filled, write(tmp_path / name, content))
    assert (error.where, error.problem) == (name, problem)


def test_a_broken_conversation_in_the_middle_stops_everything(
    filled: Store, tmp_path: Path
) -> None:
    data = good_conversations(3)
    data[1]["mapping"] = ["not", "a", "tree"]
    error = rejected(filled, write(tmp_path / "c.json", json.dumps(data)))
    assert error.where == "c.json: conversation 2 (“Good 1”)"
    assert error.problem == "has no message tree (its “mapping” is missing)"
    data[1] = "a string"
    error = rejected(filled, write(tmp_path / "c.json", json.dumps(data)))
    assert (error.where, error.problem) == (
        "c.json: conversation 2",
        "is not a conversation object",
    )


def test_a_bad_node(filled: Store, tmp_path: Path) -> None:
    data = good_conversations(1)
    data[0]["mapping"]["broken"] = 42  # type: ignore[index]
    error = rejected(filled, write_export_zip(tmp_path / "export.zip", data))
    assert error.where == "export.zip › conversations.json: conversation 1 (“Good 0”)"
    assert error.problem == "node “broken” of its message tree is not an object"


def kibitz_export(store: Store, tmp_path: Path) -> dict[str, object]:
    path = export_json_file(store, store.list_conversations(), tmp_path / "k.json")
    return json.loads(path.read_text(encoding="utf-8"))


def test_kibitz_export_errors_name_the_field(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    fill(store)
    document = kibitz_export(store, tmp_path)
    conversations = document["conversations"]
    assert isinstance(conversations, list)
    trip = next(c for c in conversations if c["title"] == "Trip to Lisbon")
    index = conversations.index(trip) + 1
    where = f"bad.json: conversation {index} (“Trip to Lisbon”)"
    message_id = trip["messages"][1]["id"]
    cases = [
        (("messages", 1, "role"), "robot", f"{where}, message {message_id}",
         "unknown role “robot”"),
        (("messages", 1, "created_at"), "yesterday", f"{where}, message {message_id}",
         "“created_at” should be a number"),
        (("messages", 1, "updated_at"), float("nan"), f"{where}, message {message_id}",
         "“updated_at” should be a number or null"),
        (("created_at",), float("inf"), where, "“created_at” should be a number"),
        (("messages", 1, "parent_id"), 99999, f"{where}, message {message_id}",
         "its parent 99999 is not in the export"),
        (("uid",), None, where, "“uid” should be text"),
        (("current_leaf_id",), 99999, where, "its current message 99999 is not in the export"),
        (("params",), {"temperature": "hot"}, f"{where}, params",
         "“temperature” should be of type int/float or null"),
        (("params",), {"stop": [1]}, f"{where}, params", "“stop” should be a list of text"),
    ]  # fmt: skip
    for keys, value, expected_where, problem in cases:
        broken = json.loads(json.dumps(document))
        target = next(c for c in broken["conversations"] if c["title"] == "Trip to Lisbon")
        *path, last = keys
        for key in path:
            target = target[key]
        target[last] = value
        error = rejected(other_store, write(tmp_path / "bad.json", json.dumps(broken)))
        assert (error.where, error.problem) == (expected_where, problem)
    assert len(snapshot(other_store)) == 0


def test_a_newer_kibitz_format(other_store: Store, tmp_path: Path) -> None:
    text = json.dumps({"format": "kibitz-export", "version": 3, "conversations": []})
    error = rejected(other_store, write(tmp_path / "new.json", text))
    assert error.problem == (
        "it was written by a newer Kibitz (format version 3; this one reads up to 2)"
    )
    assert error.hint == "Nothing was imported. Update Kibitz, then import the file again."


def test_a_missing_file_is_an_os_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        import_file(store, tmp_path / "nowhere.zip")


def test_bad_parts_name_the_message_and_the_part(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    with_every_part(store)
    document = kibitz_export(store, tmp_path)
    assert document["version"] == 2
    question, reply = document["conversations"][0]["messages"]  # type: ignore[index]
    where = "bad.json: conversation 1 (“Every part”)"
    asked, answered = f"{where}, message {question['id']}", f"{where}, message {reply['id']}"
    known = "text, reasoning, image, file, tool_call, tool_result"
    cases = [
        ((1, "parts"), "text", answered, "“parts” should be a list"),
        ((1, "parts", 0), "reasoning", f"{answered}, part 1", "is not a JSON object"),
        ((1, "parts", 0, "type"), "video", f"{answered}, part 1",
         f"unknown part type “video” (Kibitz knows {known})"),
        ((1, "parts", 0, "type"), None, f"{answered}, part 1", "“type” should be text"),
        ((1, "parts", 0, "text"), None, f"{answered}, part 1", "“text” should be text"),
        ((1, "parts", 0, "seconds"), -1, f"{answered}, part 1", "“seconds” should not be negative"),
        ((1, "parts", 0, "seconds"), "4s", f"{answered}, part 1",
         "“seconds” should be a number or null"),
        ((0, "parts", 1, "data"), "not base64!", f"{asked}, part 2",
         "“data” is not valid base64 (only base64 data is allowed)"),
        ((0, "parts", 1, "data"), "QUJ", f"{asked}, part 2",
         "“data” is not valid base64 (incorrect padding)"),
        ((0, "parts", 1, "data"), "Ωmega", f"{asked}, part 2",
         "“data” is not valid base64 (string argument should contain only ASCII characters)"),
        ((0, "parts", 1, "data"), None, f"{asked}, part 2", "“data” should be text"),
        ((0, "parts", 1, "name"), 3, f"{asked}, part 2", "“name” should be text"),
        ((0, "parts", 1, "width"), -5, f"{asked}, part 2", "“width” should not be negative"),
        ((0, "parts", 1, "height"), 1.5, f"{asked}, part 2",
         "“height” should be a whole number or null"),
        ((0, "parts", 2, "mime_type"), None, f"{asked}, part 3", "“mime_type” should be text"),
        ((0, "parts", 2, "text"), 5, f"{asked}, part 3", "“text” should be text or null"),
        ((1, "parts", 1, "arguments"), {"path": "x"}, f"{answered}, part 2",
         "“arguments” should be text"),
        ((1, "parts", 1, "id"), None, f"{answered}, part 2", "“id” should be text"),
        ((1, "parts", 1, "server"), 1, f"{answered}, part 2", "“server” should be text or null"),
        ((1, "parts", 2, "status"), "maybe", f"{answered}, part 3",
         "“status” should be one of ok, error, denied"),
        ((1, "parts", 2, "is_error"), "yes", f"{answered}, part 3",
         "“is_error” should be true or false"),
        ((1, "parts", 2, "content"), None, f"{answered}, part 3", "“content” should be text"),
        ((1, "content"), "Something else", answered, "“content” is not the text of its “parts”"),
        ((1, "usage", "reasoning_tokens"), "many", f"{answered}, usage",
         "“reasoning_tokens” should be a whole number"),
    ]  # fmt: skip
    for keys, value, expected_where, problem in cases:
        broken = json.loads(json.dumps(document))
        target = broken["conversations"][0]["messages"]
        *path, last = keys
        for key in path:
            target = target[key]
        target[last] = value
        error = rejected(other_store, write(tmp_path / "bad.json", json.dumps(broken)))
        assert (error.where, error.problem) == (expected_where, problem), keys
    # The message before the bad one had good files: none of them was stored either.
    assert len(snapshot(other_store)) == 0
    assert not other_store.has_blob(blob_digest(PNG))
    assert not other_store.has_blob(blob_digest(PDF))
