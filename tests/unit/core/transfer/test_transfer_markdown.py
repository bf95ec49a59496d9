"""Markdown export: front matter, turns, branches, notes, fences; files in a folder; pandoc."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from transfer_helpers import CODE_REPLY, CUT_REPLY, PDF, PNG, fill, front_matter, with_every_part

from kibitz.core.store import Store
from kibitz.core.transfer import (
    ExportWriteError,
    chosen_conversations,
    conversation_to_markdown,
    export_filename,
    export_markdown,
)
from kibitz.core.transfer.fences import open_fence
from kibitz.core.types import (
    ConversationId,
    FilePart,
    ImagePart,
    MessageStatus,
    ReasoningPart,
    Role,
    TextPart,
)


def markdown(store: Store, name: str, *, all_branches: bool = False) -> str:
    conversation = fill(store)[name]
    return conversation_to_markdown(
        conversation, store.all_messages(conversation.id), all_branches=all_branches
    )


def test_front_matter_parses_and_holds_the_fields(store: Store) -> None:
    conversations = fill(store)
    trip = conversations["trip"]
    text = conversation_to_markdown(trip, store.all_messages(trip.id))
    assert (trip.created_at, trip.updated_at) == (1_750_000_180.625, 1_750_000_722.125)
    assert front_matter(text) == {
        "title": "Trip to Lisbon",
        "id": trip.uid,
        "created": "2025-06-15T15:09:40Z",
        "updated": "2025-06-15T15:18:42Z",
        "model": "gpt-4o",
        "provider": "work",
    }
    odd = conversations["failed"]
    fields = front_matter(conversation_to_markdown(odd, store.all_messages(odd.id)))
    assert fields["title"] == "Ünïcödé / “quotes” : *stars*"
    assert "provider" not in fields
    assert "model" not in fields  # none stored: nothing is made up


def test_the_current_branch_in_order(store: Store) -> None:
    text = markdown(store, "trip")
    sections = [s for s in text.split("\n\n") if s.startswith("## ")]
    assert sections == ["## User", "## Assistant (gpt-4o)", "## User"]
    assert "Where should I stay?\n\n## Assistant (gpt-4o)\n\nAlfama is lovely.\n\n## User" in text
    assert "Where should I eat?" not in text
    assert "Try Baixa." not in text
    assert "Other branches" not in text


def test_all_branches_follow_the_current_one(store: Store) -> None:
    text = markdown(store, "trip", all_branches=True)
    current, others = text.split("## Other branches\n\n")
    assert "Alfama is lovely." in current
    assert "Where should I eat?" not in current
    # Depth first, oldest sibling first: the first question's branch, then the other reply.
    assert others.index("### Branch 2") < others.index("Where should I eat?")
    assert others.index("Try the pastéis de nata.") < others.index("### Branch 3")
    branch_3 = others.split("### Branch 3")[1]
    assert "*Another version after: “Where should I stay?”*" in branch_3
    assert "#### Assistant (gpt-4o-mini)\n\nTry Baixa." in branch_3
    assert "> *Reply length*" in branch_3
    assert "Where should I stay?\n" not in branch_3.split("*\n", 1)[1], "no turn shown twice"
    assert "*Another version from the first message on.*" in others.split("### Branch 3")[0]


def test_system_prompt_statuses_and_fences(store: Store) -> None:
    text = markdown(store, "code")
    assert "# Code: fences ``` and `ticks`\n\n## System\n\nBe brief.\n\n## User" in text
    assert CODE_REPLY in text, "fences the model wrote are kept exactly"
    assert f"{CUT_REPLY}\n```\n\n> *Reply interrupted: stream_interrupted:" in text
    assert open_fence(text) is None, "the cut-off reply's fence is closed"
    failed = markdown(store, "failed")
    assert "## Assistant\n\n*(no text)*\n\n> *Reply error: auth: The server refused" in failed


def test_a_failed_reply_with_the_servers_words_keeps_them_on_a_line_of_their_own(
    store: Store,
) -> None:
    conversation = store.create_conversation("rate limited")
    q = store.add_message(conversation.id, None, Role.USER, "Hi")
    store.add_message(
        conversation.id, q.id, Role.ASSISTANT, "", status=MessageStatus.ERROR,
        error="rate_limit: The server is rate-limiting requests\nRate limit reached for gpt-4o",
    )  # fmt: skip
    text = conversation_to_markdown(
        store.get_conversation(conversation.id), store.all_messages(conversation.id)
    )
    assert (
        "> *Reply error: rate_limit: The server is rate-limiting requests*\n>\n"
        "> Rate limit reached for gpt-4o"
    ) in text


def test_empty_conversation(store: Store) -> None:
    text = markdown(store, "empty")
    assert front_matter(text)["title"] == ""
    assert text.endswith("---\n\n# Untitled\n")


def test_export_folder_writes_one_file_each(store: Store, tmp_path: Path) -> None:
    conversations = fill(store)
    chosen = chosen_conversations(store, None)
    assert [c.title for c in chosen] == [
        "Code: fences ``` and `ticks`", "", "Ünïcödé / “quotes” : *stars*", "Trip to Lisbon"
    ]  # fmt: skip
    seen: list[tuple[int, int]] = []
    folder = tmp_path / "out" / "notes"
    paths = export_markdown(store, chosen, folder, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths)
    trip = conversations["trip"]
    trip_file = folder / export_filename(trip)
    assert trip_file.read_bytes().decode("utf-8") == conversation_to_markdown(
        trip, store.branch(trip.id)
    )
    assert b"\r\n" not in trip_file.read_bytes()
    # Again: the same names, replaced in place.
    export_markdown(store, chosen, folder)
    assert len(list(folder.iterdir())) == 4


def test_chosen_ids_and_unknown_ids(store: Store) -> None:
    conversations = fill(store)
    gone = conversations["gone"]
    assert chosen_conversations(store, [gone.id])[0].deleted_at is not None
    with pytest.raises(Exception, match="conversation 99"):
        chosen_conversations(store, [gone.id, ConversationId(99)])


def test_a_file_where_the_folder_should_be(store: Store, tmp_path: Path) -> None:
    fill(store)
    target = tmp_path / "notes.md"
    target.write_text("mine", encoding="utf-8")
    with pytest.raises(ExportWriteError) as caught:
        export_markdown(store, chosen_conversations(store, None), target)
    assert caught.value.detail == f"{target} is a file"
    assert target.read_text(encoding="utf-8") == "mine"


PANDOC = shutil.which("pandoc")


@pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed (apt-get install pandoc)")
def test_pandoc_converts_the_export_cleanly(store: Store, tmp_path: Path) -> None:
    conversation = fill(store)["code"]
    source = tmp_path / "code.md"
    source.write_text(
        conversation_to_markdown(conversation, store.all_messages(conversation.id)),
        encoding="utf-8",
    )
    assert PANDOC is not None
    result = subprocess.run(
        [PANDOC, "--fail-if-warnings", "-f", "markdown", "-t", "json", str(source)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    meta = document["meta"]
    assert meta["id"] == {"t": "MetaInlines", "c": [{"t": "Str", "c": conversation.uid}]}
    blocks = document["blocks"]
    headers = [b for b in blocks if b["t"] == "Header"]
    assert [h["c"][0] for h in headers] == [1, 2, 2, 2, 2, 2]
    code = [b["c"] for b in blocks if b["t"] == "CodeBlock"]
    # The outer ````markdown block keeps the inner fence verbatim; the cut block is closed.
    assert code[0][0][1] == ["markdown"]
    assert code[0][1] == "A fence inside:\n\n```python\nprint('hi')\n```"
    assert code[1][1] == "def unfinished(x):\n    return"
    last = blocks[-1]
    assert last["t"] == "BlockQuote", "the note after the cut block is text, not code"


EVERY_PART_REPLY = """## Assistant (o3)

<details><summary>Thinking</summary>

Look at the chart first.

</details>

**Tool call** `fs__read` (server files)

```json
{
  "path": "notes.pdf"
}
```

**Result**

```
naïve café
```

**Tool call** `shell`

```json
{
  "cmd": "rm -rf /"
}
```

**Result** (not run: the call was denied)

**Tool call** `web`

```
{"q": ·
```

**Result** (error)

```
bad arguments
```

<details><summary>Thinking</summary>

Then the notes.

</details>

A chart and notes.

*[image: again.png, 776 bytes]*
""".replace("·", "")  # the arguments end in a space, kept as they came


def test_reasoning_files_and_tools(store: Store) -> None:
    conversation = with_every_part(store)
    text = conversation_to_markdown(conversation, store.branch(conversation.id))
    assert (
        "## User\n\nWhat is in these?\n\n*[image: chart 1.png, 640×480]*\n\n"
        "*[file: notes.pdf, 532 bytes]*\n\nSecond paragraph.\n\n"
    ) in text
    assert text.endswith(EVERY_PART_REPLY)
    for data in (PNG, PDF):
        encoded = base64.b64encode(data).decode("ascii")
        assert encoded[:24] not in text, "no file's bytes in the Markdown"
    assert "naïve café\n```" in text, "a tool's output is shown; a file's extracted text is not"
    assert text.count("naïve café") == 1


def test_reasoning_cannot_break_out_of_its_block(store: Store) -> None:
    conversation = store.create_conversation("Sly")
    question = store.add_message(conversation.id, None, Role.USER, "Hi")
    store.add_message(
        conversation.id, question.id, Role.ASSISTANT,
        [
            ReasoningPart("Close it early: </DETAILS> and\n```python\nnever closed"),
            ReasoningPart("", seconds=3.0),  # timed, nothing to show: no empty block
            ImagePart(store.put_blob(b"x"), "*bold* [link](x).png", "image/png", 2048),
            FilePart(store.put_blob(b"y"), "big.bin", "application/octet-stream", 5 * 2**20),
            TextPart("Answer"),
        ],
    )  # fmt: skip
    text = conversation_to_markdown(store.get_conversation(conversation.id),
                                    store.branch(conversation.id))  # fmt: skip
    assert text.endswith(
        "<details><summary>Thinking</summary>\n\n"
        "Close it early: &lt;/DETAILS> and\n```python\nnever closed\n```\n\n</details>\n\n"
        "*[image: \\*bold\\* \\[link\\](x).png, 2.0 KB]*\n\n*[file: big.bin, 5.0 MB]*\n\nAnswer\n"
    )
    assert text.count("<details>") == 1


@pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed (apt-get install pandoc)")
def test_pandoc_reads_reasoning_files_and_tools(store: Store, tmp_path: Path) -> None:
    conversation = with_every_part(store)
    source = tmp_path / "parts.md"
    source.write_text(
        conversation_to_markdown(conversation, store.all_messages(conversation.id)),
        encoding="utf-8",
    )
    assert PANDOC is not None
    result = subprocess.run(
        [PANDOC, "--fail-if-warnings", "-f", "markdown", "-t", "json", str(source)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    blocks = json.loads(result.stdout)["blocks"]
    html = [b["c"][1] for b in blocks if b["t"] == "RawBlock"]
    assert html == ["<details>", "<summary>", "</summary>", "</details>"] * 2
    code = [b["c"] for b in blocks if b["t"] == "CodeBlock"]
    assert [c[0][1] for c in code] == [["json"], [], ["json"], [], []]
    assert json.loads(code[0][1]) == {"path": "notes.pdf"}
    assert code[3][1] == '{"q": '
    # Inside the folded block: the summary, then the reasoning as Markdown paragraphs.
    start = next(i for i, b in enumerate(blocks) if b["t"] == "RawBlock")
    assert [b["t"] for b in blocks[start : start + 6]] == [
        "RawBlock", "RawBlock", "Plain", "RawBlock", "Para", "RawBlock"
    ]  # fmt: skip
