"""Importing ChatGPT exports: every content type, hidden nodes, branches, the file forms."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from tests.support.chatgpt_export import (
    ChatGPTConversation,
    write_conversations_json,
    write_export_zip,
)

from kibitz.core.store import Store, blob_digest
from kibitz.core.transfer import (
    ImportFileError,
    ImportProgress,
    conversation_to_markdown,
    import_file,
)
from kibitz.core.types import (
    Conversation,
    ConversationId,
    FilePart,
    ImagePart,
    Message,
    MessageStatus,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolStatus,
)


def rich_conversation() -> ChatGPTConversation:
    """One conversation with every kind of node the issue names."""
    chat = ChatGPTConversation("Plotting sales", 1_718_000_000.0, conversation_id="conv-rich")
    chat.hidden_system()
    chat.custom_instructions("I am a data analyst.", "Answer with code.")
    chat.node(
        "system",
        {"content_type": "text", "parts": [""]},
        metadata={"is_contextual_answers_system_message": True,
                  "is_visually_hidden_from_conversation": True},
    )  # fmt: skip
    chat.image_question("What does this chart show?", "sales-q3.png")
    chat.assistant("", finish=None)  # an empty placeholder the app writes before the reply
    chat.thoughts(("Reading the chart", "Bars by month."), model="o3")
    chat.reasoning_recap(8, model="o3")
    chat.code_call("import pandas as pd\nprint(pd.__version__)")
    chat.tool_output("2.2.1")
    chat.assistant("Sales peak in **August**.", model="o3")
    chat.user("Find a source for that")
    chat.code_call('search("august retail sales")', recipient="browser", language="unknown")
    chat.content(
        "tool",
        {"content_type": "tether_browsing_display", "result": "", "summary": "", "assets": None},
        name="browser",
    )
    chat.content(
        "tool",
        {"content_type": "tether_quote", "url": "https://example.com/retail",
         "domain": "example.com", "title": "Retail report", "text": "August sales rose 4%."},
        name="browser",
    )  # fmt: skip
    chat.content(
        "tool", {"content_type": "system_error", "name": "BrowserError", "text": "Timed out"},
        name="browser",
    )  # fmt: skip
    chat.content("assistant", {"content_type": "sonic_hologram", "payload": {"x": 1}})
    chat.assistant("The report confirms it.", finish="max_tokens")
    return chat


def import_one(
    store: Store, tmp_path: Path, chat: ChatGPTConversation, **options: Any
) -> Conversation:
    path = write_conversations_json(tmp_path / "conversations.json", [chat.to_json()])
    report = import_file(store, path, **options)
    assert len(report.imported) == 1, report
    return store.get_conversation(report.imported[0])


def test_every_content_type(store: Store, tmp_path: Path) -> None:
    conversation = import_one(store, tmp_path, rich_conversation(), keep_instructions=True)
    assert conversation.uid == "chatgpt:conv-rich"
    assert conversation.title == "Plotting sales"
    assert conversation.system_prompt == (
        "About me:\nI am a data analyst.\n\nHow to respond:\nAnswer with code."
    )
    turns = store.branch(conversation.id)
    assert [t.role for t in turns] == [Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT]
    question, reply, follow_up, answer = turns
    # No file in the export: the image is named in a note.
    assert question.parts == (
        TextPart("*[Image: sales-q3.png (602×149)]*"),
        TextPart("What does this chart show?"),
    )
    # The reply's reasoning, tool run and text are one message, in order; the answer alone
    # is its text.
    (call,) = [p for p in reply.parts if isinstance(p, ToolCallPart)]
    assert reply.parts == (
        ReasoningPart("**Reading the chart**\n\nBars by month.", seconds=8.0),
        call,
        ToolResultPart(call.id, "2.2.1"),
        TextPart("Sales peak in **August**."),
    )
    assert (call.name, json.loads(call.arguments)) == (
        "python",
        {"code": "import pandas as pd\nprint(pd.__version__)"},
    )
    assert call.id.startswith("chatgpt-")
    assert reply.content == "Sales peak in **August**."
    assert (reply.model, reply.status, reply.finish_reason) == (
        "o3",
        MessageStatus.COMPLETE,
        "stop",
    )
    assert follow_up.content == "Find a source for that"
    (search,) = [p for p in answer.parts if isinstance(p, ToolCallPart)]
    assert (search.name, json.loads(search.arguments)) == (
        "browser",
        {"code": 'search("august retail sales")'},
    )
    # The browser's page, the quote found in it and its error answer the one call.
    assert answer.parts == (
        search,
        ToolResultPart(
            search.id,
            "August sales rose 4%.\n\n— Retail report <https://example.com/retail>\n\n"
            "BrowserError: Timed out",
            is_error=True,
            status=ToolStatus.ERROR,
        ),
        TextPart("*[Kept from ChatGPT: content of type “sonic\\_hologram”]*"),
        TextPart('```json\n{"content_type": "sonic_hologram", "payload": {"x": 1}}\n```'),
        TextPart("The report confirms it."),
    )
    assert (answer.status, answer.finish_reason) == (MessageStatus.LENGTH, "length")
    # Timestamps come from the export: each turn from its first node.
    assert question.created_at == 1_718_000_015.0
    assert conversation.created_at == 1_718_000_000.0


def branched() -> ChatGPTConversation:
    chat = ChatGPTConversation("Branches", conversation_id="conv-branches")
    chat.hidden_system()
    first = chat.user("Name a colour")
    chat.assistant("Red.")
    regenerated = chat.assistant("Blue.", parent=first)  # regenerate: a sibling reply
    chat.user("Another?")
    chat.assistant("Green.")
    chat.user("Name a fruit", parent=chat.mapping[first]["parent"])  # an edited question
    chat.assistant("Apple.")
    chat.current = chat.mapping[regenerated]["children"][0]  # the user looked at "Another?"
    return chat


def texts(messages: list[Message]) -> list[str]:
    return [m.content for m in messages]


def test_branches_stay_branches(store: Store, tmp_path: Path) -> None:
    conversation = import_one(store, tmp_path, branched())
    assert texts(store.branch(conversation.id)) == ["Name a colour", "Blue.", "Another?"]
    roots = store.roots(conversation.id)
    assert texts(roots) == ["Name a colour", "Name a fruit"], "the hidden root is not a turn"
    assert texts(store.children(roots[0].id)) == ["Red.", "Blue."]
    assert texts(store.children(roots[1].id)) == ["Apple."]
    assert conversation.message_count == 7


def test_current_node_on_a_hidden_or_missing_node(store: Store, tmp_path: Path) -> None:
    # A current node above every turn, or one that is not in the tree: the conversation opens
    # on its last branch rather than on nothing.
    for n, current in enumerate(("client-created-root", "no-such-node")):
        chat = branched()
        chat.id = f"conv-current-{n}"
        chat.current = current
        conversation = import_one(store, tmp_path, chat)
        assert texts(store.branch(conversation.id)) == ["Name a fruit", "Apple."]


def test_null_times_titles_and_ids(store: Store, tmp_path: Path) -> None:
    chat = ChatGPTConversation(None, 0)
    chat.user("When?", create_time=None)
    chat.assistant("Now.", create_time=1_700_000_100.0)
    data = chat.to_json()
    data.update(create_time=None, update_time=None, id=None, conversation_id=None)
    path = write_conversations_json(tmp_path / "c.json", [data])
    conversation = store.get_conversation(import_file(store, path).imported[0])
    assert conversation.title == ""
    assert conversation.uid.startswith("chatgpt:sha256-")
    assert conversation.created_at == conversation.updated_at == 1_700_000_100.0
    question, answer = store.branch(conversation.id)
    assert question.created_at == 1_700_000_100.0  # no time of its own: its conversation's
    assert answer.created_at == 1_700_000_100.0
    again = import_file(store, path)
    assert (again.imported, again.skipped) == ((), ("",)), "same content, same uid"


def test_an_empty_conversation(store: Store, tmp_path: Path) -> None:
    data = {"title": "Nothing yet", "id": "empty", "mapping": {}, "current_node": None}
    path = write_conversations_json(tmp_path / "c.json", [data])
    conversation = store.get_conversation(import_file(store, path).imported[0])
    assert (conversation.title, conversation.message_count) == ("Nothing yet", 0)
    assert conversation.current_leaf_id is None


def test_an_unfinished_reply_and_unknown_authors(store: Store, tmp_path: Path) -> None:
    chat = ChatGPTConversation("Odd", conversation_id="conv-odd")
    chat.user("Go")
    chat.node("critic", {"content_type": "text", "parts": ["A plugin spoke."]})
    chat.assistant("Half a rep", status="in_progress", finish=None)
    conversation = import_one(store, tmp_path, chat)
    _, odd, reply = store.branch(conversation.id)
    assert (odd.role, odd.content) == (Role.TOOL, "*[From critic]*\n\nA plugin spoke.")
    assert (reply.role, reply.content) == (Role.ASSISTANT, "Half a rep")
    assert reply.status is MessageStatus.INTERRUPTED
    assert reply.error == "chatgpt: the reply ended as “in_progress”"


def test_tool_output_directly_after_a_question(store: Store, tmp_path: Path) -> None:
    """Output of a tool whose call is not in the export begins the reply it belongs to."""
    chat = ChatGPTConversation("Dalle", conversation_id="conv-dalle")
    chat.user("Draw a cat")
    chat.generated_image("A cat, ink", file_id="file_1")
    chat.assistant("Here is your cat.")
    conversation = import_one(store, tmp_path, chat)
    _, reply = store.branch(conversation.id)
    assert reply.role is Role.ASSISTANT
    result, text = reply.parts
    assert isinstance(result, ToolResultPart)
    assert result.content == "[Generated image (1024×1024): A cat, ink]"
    assert result.tool_call_id.startswith("chatgpt-"), "its own id: no call to pair with"
    assert text == TextPart("Here is your cat.")
    assert reply.content == "Here is your cat."


def test_attachments_that_are_not_images(store: Store, tmp_path: Path) -> None:
    chat = ChatGPTConversation("Files", conversation_id="conv-files")
    chat.user(
        "Summarise this",
        metadata={"attachments": [{"id": "file-9", "name": "report.pdf",
                                   "mime_type": "application/pdf", "size": 1_250_000}]},
    )  # fmt: skip
    conversation = import_one(store, tmp_path, chat)
    assert store.branch(conversation.id)[0].content == (
        "Summarise this\n\n*[Attachment: report.pdf (application/pdf, 1.2 MB)]*"
    )


def sample_export(count: int = 3) -> list[dict[str, Any]]:
    out = []
    for n in range(count):
        chat = ChatGPTConversation(f"Chat {n}", 1_718_000_000.0 + n, conversation_id=f"c-{n}")
        chat.hidden_system()
        chat.user(f"Question {n}")
        chat.assistant(f"Answer {n}")
        out.append(chat.to_json())
    return out


def titles(store: Store) -> list[str]:
    return sorted(c.title for c in store.list_conversations())


@pytest.mark.parametrize("form", ["json", "zip", "shards", "folder", "nested-zip", "single"])
def test_every_form_of_the_export(store: Store, tmp_path: Path, form: str) -> None:
    data = sample_export()
    if form == "json":
        path = write_conversations_json(tmp_path / "conversations.json", data)
    elif form == "zip":
        path = write_export_zip(tmp_path / "export.zip", data)
    elif form == "shards":
        path = write_export_zip(tmp_path / "export.zip", data, shards=2)
    elif form == "folder":
        path = tmp_path / "extracted"
        path.mkdir()
        for n, part in enumerate((data[:2], data[2:])):
            (path / f"conversations-{n:03d}.json").write_text(json.dumps(part), encoding="utf-8")
    elif form == "nested-zip":  # zipped again by the user: one folder level down
        path = tmp_path / "export.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("chatgpt-2025/conversations.json", json.dumps(data))
    else:  # one conversation saved on its own, as browser extensions do
        path = tmp_path / "one.json"
        path.write_text(json.dumps(data[0]), encoding="utf-8")
        data = data[:1]
    report = import_file(store, path)
    assert len(report.imported) == len(data)
    assert titles(store) == [d["title"] for d in data]


def test_reimport_skips_duplicates(store: Store, tmp_path: Path) -> None:
    path = write_export_zip(tmp_path / "export.zip", sample_export(2))
    first = import_file(store, path)
    assert len(first.imported) == 2
    assert first.summary() == "Imported 2 conversations from export.zip (ChatGPT export)"
    bigger = write_export_zip(tmp_path / "later.zip", sample_export(3))
    second = import_file(store, bigger)
    assert len(second.imported) == 1
    assert second.skipped == ("Chat 0", "Chat 1")
    assert second.summary().endswith("; skipped 2 already imported")
    assert titles(store) == ["Chat 0", "Chat 1", "Chat 2"]


def test_a_deleted_conversation_still_counts_as_imported(store: Store, tmp_path: Path) -> None:
    path = write_conversations_json(tmp_path / "c.json", sample_export(1))
    store.delete(import_file(store, path).imported)
    assert import_file(store, path).skipped == ("Chat 0",)


def test_progress_reads_then_saves(store: Store, tmp_path: Path) -> None:
    path = write_export_zip(tmp_path / "export.zip", sample_export(5), shards=2)
    seen: list[ImportProgress] = []
    import_file(store, path, progress=seen.append)
    reading = [p for p in seen if p.phase == "reading"]
    saving = [p for p in seen if p.phase == "saving"]
    assert seen == reading + saving
    assert [p.conversations for p in reading] == [1, 2, 3, 4, 5]
    assert [p.done for p in reading] == sorted(p.done for p in reading)
    assert reading[-1].fraction == pytest.approx(1.0, abs=0.01)
    assert [(p.done, p.total) for p in saving] == [(n, 5) for n in range(1, 6)]


_ODD_VALUES = [None, 0, -1, 1.5, "", "x", [], {}, [1, "a", None], {"a": 1}, True, "all"]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


def test_odd_values_anywhere_never_crash_the_import(tmp_path: Path) -> None:
    """Exports vary by year and by feature: any field of any type may surprise. Each such
    file is either imported or refused with an ImportFileError, never a crash. The files
    of the export are there too, so image and attachment lookups are fuzzed as well."""
    import copy
    import random

    from kibitz.core.transfer.chatgpt_files import export_files
    from kibitz.core.transfer.chatgpt_import import convert_conversation
    from kibitz.core.transfer.errors import ImportFileError

    for name, data in EXPORT_FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    files = export_files(tmp_path)
    makers = (branched, rich_conversation, with_files, reasoning_turn)
    refused = 0
    for seed in range(600):
        rng = random.Random(seed)
        data = makers[seed % len(makers)]().to_json()
        spots = _paths(data)
        for _ in range(rng.randint(1, 4)):
            *parents, last = rng.choice(spots)
            target: Any = data
            try:
                for key in parents:
                    target = target[key]
                target[last] = copy.deepcopy(rng.choice(_ODD_VALUES))
            except (KeyError, IndexError, TypeError):
                continue  # an earlier change removed this spot
        try:
            converted = convert_conversation(
                data, f"seed {seed}", 1.0, files=files, keep_instructions=seed % 2 == 0
            )
        except ImportFileError:
            refused += 1
            continue
        parts = [p for m in converted.conversation.messages for p in m.parts]
        named = {p.blob for p in parts if isinstance(p, ImagePart | FilePart)}
        assert set(converted.conversation.blobs) == named, "every file a part names is there"
    assert 0 < refused < 300, "most odd values are tolerated; a broken tree is refused"


def reasoning_turn() -> ChatGPTConversation:
    chat = ChatGPTConversation("Reasoning", conversation_id="conv-reasoning")
    chat.user("Compute")
    chat.thoughts(("Plan", "Run code."))
    chat.reasoning_recap(5)
    chat.json_call("container.exec", {"cmd": ["ls"]})
    chat.tool_text("a b", name="container.exec")
    chat.code_call("1/0")
    chat.tool_output("ZeroDivisionError", status="failed_with_in_kernel_exception")
    chat.node("assistant", {"content_type": "text", "parts": ["hmm"]}, channel="analysis")
    chat.content(
        "tool",
        {"content_type": "computer_output", "screenshot": {
            "content_type": "image_asset_pointer", "asset_pointer": "sediment://file-cat7",
            "width": 10, "height": 10}, "state": {"title": "Page", "url": "https://x"}},
        name="computer.do",
    )  # fmt: skip
    chat.assistant("Done.")
    return chat


@pytest.mark.skipif(
    shutil.which("pandoc") is None, reason="pandoc is not installed (apt-get install pandoc)"
)
def test_an_imported_conversation_exports_to_markdown_pandoc_reads(
    store: Store, tmp_path: Path
) -> None:
    """Reasoning, tool calls, their output and notes survive the trip to Markdown and pandoc;
    the custom instructions (left out by default) appear nowhere."""
    conversation = import_one(store, tmp_path, rich_conversation())
    text = conversation_to_markdown(conversation, store.all_messages(conversation.id))
    assert "About me" not in text
    assert "## System" not in text
    source = tmp_path / "rich.md"
    source.write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["pandoc", "--fail-if-warnings", "-f", "markdown", "-t", "json", str(source)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    blocks = json.loads(result.stdout)["blocks"]
    kinds = [b["t"] for b in blocks]
    code = [b["c"][1] for b in blocks if b["t"] == "CodeBlock"]
    assert [json.loads(c) for c in code[:4:2]] == [
        {"code": "import pandas as pd\nprint(pd.__version__)"},
        {"code": 'search("august retail sales")'},
    ], "each call's arguments, as JSON"
    assert code[1] == "2.2.1"
    assert code[3].startswith("August sales rose 4%.")
    assert code[4] == '{"content_type": "sonic_hologram", "payload": {"x": 1}}'
    html = [b["c"][1] for b in blocks if b["t"] == "RawBlock"]
    assert html == ["<details>", "<summary>", "</summary>", "</details>"], "one folded reasoning"
    assert kinds.count("BlockQuote") == 1, "the note that the reply hit its limit"
    assert [b["c"][0] for b in blocks if b["t"] == "Header"] == [1, 2, 2, 2, 2]


def test_a_reasoning_turn_becomes_one_assistant_message(store: Store, tmp_path: Path) -> None:
    """Thoughts, the recap, two tool runs (one failing) and the answer, as a 2025 export
    has them: one message, its parts in order, each result with its call's id."""
    chat = ChatGPTConversation("Primes", conversation_id="conv-primes", model="gpt-5-thinking")
    chat.user("How many primes are below 1000?")
    chat.thoughts(
        ("Counting primes", "A sieve is quickest."),
        ("Checking", "Run it, then check the count."),
    )
    chat.reasoning_recap(12)
    code = chat.code_call("print(len(sieve(1000))", channel="commentary")
    chat.tool_output("SyntaxError: '(' was never closed", status="failed_with_in_kernel_exception")
    chat.json_call("container.exec", {"cmd": ["python3", "-c", "print(168)"]})
    chat.tool_text("168\n", name="container.exec")
    chat.assistant("There are **168**.", model="gpt-5-thinking")
    conversation = import_one(store, tmp_path, chat)
    asked, reply = store.branch(conversation.id)
    assert asked.content == "How many primes are below 1000?"
    assert reply.role is Role.ASSISTANT
    assert reply.model == "gpt-5-thinking"
    run, shell = (p for p in reply.parts if isinstance(p, ToolCallPart))
    assert reply.parts == (
        ReasoningPart(
            "**Counting primes**\n\nA sieve is quickest.\n\n**Checking**\n\n"
            "Run it, then check the count.",
            seconds=12.0,
        ),
        run,
        ToolResultPart(run.id, "SyntaxError: '(' was never closed", True, ToolStatus.ERROR),
        shell,
        ToolResultPart(shell.id, "168\n"),
        TextPart("There are **168**."),
    )
    assert (run.name, json.loads(run.arguments)) == ("python", {"code": "print(len(sieve(1000))"})
    # A JSON object sent to a tool is kept as it was sent.
    assert (shell.name, shell.arguments) == (
        "container.exec",
        '{"cmd": ["python3", "-c", "print(168)"]}',
    )
    assert run.id == f"chatgpt-{code}", "made from the node's id: the same on every import"
    assert run.id != shell.id
    assert reply.content == "There are **168**.", "the answer only: no reasoning, no tools"
    assert reply.reasoning.startswith("**Counting primes**")


def test_a_recap_without_thoughts_still_says_how_long(store: Store, tmp_path: Path) -> None:
    chat = ChatGPTConversation("Quick", conversation_id="conv-quick")
    chat.user("Hi")
    chat.thoughts()  # exported empty, as ChatGPT often does
    chat.reasoning_recap(4)
    chat.assistant("Hello!")
    conversation = import_one(store, tmp_path, chat)
    _, reply = store.branch(conversation.id)
    assert reply.parts == (ReasoningPart("", seconds=4.0), TextPart("Hello!"))
    markdown = conversation_to_markdown(conversation, store.branch(conversation.id))
    assert "<details>" not in markdown, "nothing to fold"


def test_results_find_their_calls_by_tool_name(store: Store, tmp_path: Path) -> None:
    chat = ChatGPTConversation("Two tools", conversation_id="conv-two")
    chat.user("Weather and time?")
    chat.json_call("web.run", {"search_query": [{"q": "weather Lisbon"}]})
    chat.code_call("import datetime\nprint(datetime.date.today())")
    chat.tool_output("2025-06-15")  # python answers first
    chat.tool_text("Sunny, 24 °C", name="web.run")
    chat.content(
        "tool", {"content_type": "text", "parts": ["(a second page)"]}, name="web.run"
    )  # more output from a tool that already answered: it joins that answer
    chat.assistant("Sunny; it is 15 June.")
    conversation = import_one(store, tmp_path, chat)
    _, reply = store.branch(conversation.id)
    web, python, python_result, web_result, text = reply.parts
    assert isinstance(web, ToolCallPart)
    assert isinstance(python, ToolCallPart)
    assert python_result == ToolResultPart(python.id, "2025-06-15")
    assert web_result == ToolResultPart(web.id, "Sunny, 24 °C\n\n(a second page)")
    assert text == TextPart("Sunny; it is 15 June.")


def test_the_analysis_channel_is_reasoning(store: Store, tmp_path: Path) -> None:
    chat = ChatGPTConversation("Channels", conversation_id="conv-channels")
    chat.user("Why?")
    chat.node(
        "assistant", {"content_type": "text", "parts": ["Thinking it over."]}, channel="analysis"
    )
    chat.assistant("Because.")
    conversation = import_one(store, tmp_path, chat)
    _, reply = store.branch(conversation.id)
    assert reply.parts == (ReasoningPart("Thinking it over."), TextPart("Because."))


PNG = b"\x89PNG\r\n\x1a\n" + b"chart" * 100
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"cat" * 50
PDF = b"%PDF-1.4\n" + b"report" * 200


def with_files() -> ChatGPTConversation:
    chat = ChatGPTConversation("Files", conversation_id="conv-files")
    chat.image_question("What does this chart show?", "sales-q3.png", file_id="file_00000000aa11")
    chat.assistant("Growth.")
    chat.file_question("Summarise", "report.pdf", "application/pdf", len(PDF), file_id="file-pdf9")
    chat.assistant("It says growth.")
    chat.file_question("And this?", "lost.docx", "application/msword", 2048, file_id="file-gone")
    chat.json_call("dalle.text2im", {"prompt": "A cat, ink"})
    chat.generated_image("A cat, ink", file_id="file-cat7")
    chat.assistant("Here is your cat.")
    return chat


EXPORT_FILES = {
    "file_00000000aa11-sales-q3.png": PNG,
    "user-abc/file-pdf9-report.pdf": PDF,
    "dalle-generations/file-cat7-5e1f.dat": WEBP,  # an image stored as .dat
    "file-unrelated-notes.txt": b"not named by any message",
}


def check_files(store: Store, cid: ConversationId) -> None:
    chart_question, _, pdf_question, _, lost_question, cat_reply = store.branch(cid)
    chart, text = chart_question.parts  # the image's note is gone: its bytes are here
    assert text == TextPart("What does this chart show?")
    assert isinstance(chart, ImagePart)
    assert (chart.name, chart.mime_type, chart.size, chart.width, chart.height) == (
        "sales-q3.png", "image/png", len(PNG), 602, 149,
    )  # fmt: skip
    assert store.blob(chart.blob) == PNG
    question_text, document = pdf_question.parts
    assert question_text == TextPart("Summarise")
    assert document == FilePart(blob_digest(PDF), "report.pdf", "application/pdf", len(PDF))
    assert store.blob(document.blob) == PDF
    # Not in the export: named in a note, as before.
    assert lost_question.parts == (
        TextPart("And this?"),
        TextPart("*[Attachment: lost.docx (application/msword, 2.0 KB)]*"),
    )
    call, result, cat, text = cat_reply.parts
    assert isinstance(call, ToolCallPart)
    assert (call.name, call.arguments) == ("dalle.text2im", '{"prompt": "A cat, ink"}')
    assert result == ToolResultPart(call.id, "Generated image: A cat, ink")
    assert isinstance(cat, ImagePart)
    assert (cat.name, cat.mime_type, cat.width) == ("5e1f.dat", "image/webp", 1024)
    assert store.blob(cat.blob) == WEBP
    assert text == TextPart("Here is your cat.")
    assert not store.has_blob(blob_digest(b"not named by any message"))


def test_images_and_files_come_from_the_zip(store: Store, tmp_path: Path) -> None:
    path = write_export_zip(tmp_path / "export.zip", [with_files().to_json()], files=EXPORT_FILES)
    (cid,) = import_file(store, path).imported
    check_files(store, cid)
    markdown = conversation_to_markdown(store.get_conversation(cid), store.branch(cid))
    assert "## User\n\n*[image: sales-q3.png, 602×149]*\n\nWhat does this" in markdown
    assert "*[file: report.pdf, 1.2 KB]*" in markdown
    assert "*[image: 5e1f.dat, 1024×1024]*" in markdown


@pytest.mark.parametrize("form", ["folder", "beside-json", "one-conversation"])
def test_images_and_files_beside_an_extracted_export(
    store: Store, tmp_path: Path, form: str
) -> None:
    folder = tmp_path / "extracted"
    for name, data in EXPORT_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    data = with_files().to_json()
    if form == "one-conversation":
        path = folder / "one.json"
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        path = write_conversations_json(folder / "conversations.json", [data])
    (cid,) = import_file(store, folder if form == "folder" else path).imported
    check_files(store, cid)


def test_without_the_files_images_are_named(store: Store, tmp_path: Path) -> None:
    path = write_export_zip(tmp_path / "export.zip", [with_files().to_json()])
    (cid,) = import_file(store, path).imported
    chart_question, _, pdf_question, _, _, cat_reply = store.branch(cid)
    assert chart_question.parts == (
        TextPart("*[Image: sales-q3.png (602×149)]*"),
        TextPart("What does this chart show?"),
    )
    assert pdf_question.parts[1] == TextPart("*[Attachment: report.pdf (application/pdf, 1.2 KB)]*")
    _, result, _ = cat_reply.parts
    assert isinstance(result, ToolResultPart)
    assert result.content == "[Generated image (1024×1024): A cat, ink]"


def test_a_damaged_image_in_the_zip_imports_nothing(store: Store, tmp_path: Path) -> None:
    path = write_export_zip(tmp_path / "export.zip", [with_files().to_json()], files=EXPORT_FILES)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("user-abc/file-pdf9-report.pdf")
    start = info.header_offset + 30 + len(info.filename) + 10
    data[start : start + 20] = bytes(20)
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFileError) as caught:
        import_file(store, path)
    assert caught.value.where == "export.zip › user-abc/file-pdf9-report.pdf"
    assert caught.value.problem.startswith("it is damaged in the archive")
    assert store.list_conversations() == []
    assert not store.has_blob(blob_digest(PNG)), "not even the good image before it"


def instructed(conversation_id: str, *, as_system_text: bool = False) -> ChatGPTConversation:
    chat = ChatGPTConversation("Plants", conversation_id=conversation_id)
    chat.hidden_system("You are helping in a Project about plants.")
    if as_system_text:  # the older shape: a system message marked as the user's own
        chat.node(
            "system", {"content_type": "text", "parts": ["Call me Ana. Be brief."]},
            metadata={"is_user_system_message": True}, create_time=False,
        )  # fmt: skip
    else:
        chat.custom_instructions("Call me Ana.", "Be brief.")
    chat.user("Is a fern a plant?")
    chat.assistant("Yes.")
    return chat


@pytest.mark.parametrize("as_system_text", [False, True])
def test_custom_instructions_are_left_out_unless_kept(
    store: Store, tmp_path: Path, as_system_text: bool
) -> None:
    chat = instructed("conv-left-out", as_system_text=as_system_text)
    path = write_conversations_json(tmp_path / "conversations.json", [chat.to_json()])
    report = import_file(store, path)
    assert report.instructions_left_out == 1
    left_out = store.get_conversation(report.imported[0])
    # Other hidden system text belongs to the conversation and stays.
    assert left_out.system_prompt == "You are helping in a Project about plants."
    assert [m.content for m in store.branch(left_out.id)] == ["Is a fern a plant?", "Yes."]
    markdown = conversation_to_markdown(left_out, store.branch(left_out.id))
    assert "Ana" not in markdown

    chat = instructed("conv-kept", as_system_text=as_system_text)
    path = write_conversations_json(tmp_path / "conversations.json", [chat.to_json()])
    report = import_file(store, path, keep_instructions=True)
    assert report.instructions_left_out == 0
    kept = store.get_conversation(report.imported[0])
    instructions = (
        "Call me Ana. Be brief."
        if as_system_text
        else "About me:\nCall me Ana.\n\nHow to respond:\nBe brief."
    )
    assert kept.system_prompt == f"You are helping in a Project about plants.\n\n{instructions}"
    assert [m.content for m in store.branch(kept.id)] == ["Is a fern a plant?", "Yes."]


def test_conversations_without_instructions_report_none(store: Store, tmp_path: Path) -> None:
    path = write_conversations_json(tmp_path / "c.json", sample_export(2))
    assert import_file(store, path).instructions_left_out == 0
