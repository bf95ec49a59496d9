"""`kibitz import` as a real process: ChatGPT zips and Kibitz JSON in, summaries, errors, a TTY."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
from pathlib import Path

from kibitz.core.store import Store
from tests.integration.cli_support import KIBITZ, cli_env, database, run_cli, stored
from tests.support.chatgpt_export import ChatGPTConversation, generated_export, write_export_zip


def kibitz(basedir: Path, *args: str) -> tuple[int, str, list[str]]:
    result = run_cli(["--basedir", str(basedir), *args], env=cli_env())
    return result.returncode, result.stdout, result.messages


def export(count: int) -> list[dict[str, object]]:
    out = []
    for n in range(count):
        chat = ChatGPTConversation(f"Chat {n}", 1_718_000_000.0 + n * 60, conversation_id=f"c{n}")
        chat.hidden_system()
        chat.user(f"Question {n}")
        chat.assistant(f"Answer {n}")
        out.append(chat.to_json())
    return out


def test_import_a_chatgpt_zip_then_again(basedir: Path, tmp_path: Path) -> None:
    path = write_export_zip(tmp_path / "chatgpt.zip", export(2))
    code, out, messages = kibitz(basedir, "import", str(path))
    assert (code, out) == (0, "")
    assert messages == ["kibitz: Imported 2 conversations from chatgpt.zip (ChatGPT export)."]
    assert [(s.conversation.title, [m.content for m in s.branch]) for s in stored(basedir)] == [
        ("Chat 0", ["Question 0", "Answer 0"]),
        ("Chat 1", ["Question 1", "Answer 1"]),
    ]
    bigger = write_export_zip(tmp_path / "later.zip", export(3))
    code, _, messages = kibitz(basedir, "import", str(bigger))
    assert code == 0
    assert messages == [
        "kibitz: Imported 1 conversation from later.zip (ChatGPT export); "
        "skipped 2 already imported.",
        "  Conversations imported before are never duplicated.",
    ]
    code, out, _ = kibitz(basedir, "list", "--json")
    assert [row["title"] for row in json.loads(out)] == ["Chat 2", "Chat 1", "Chat 0"]


def test_import_json_output(basedir: Path, tmp_path: Path) -> None:
    chat = ChatGPTConversation("Odd", conversation_id="odd")
    chat.user("Hi")
    chat.content("assistant", {"content_type": "hologram", "text": "✨"})
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([chat.to_json()]), encoding="utf-8")
    code, out, messages = kibitz(basedir, "import", "--json", str(path))
    assert code == 0
    assert json.loads(out) == {
        "path": str(path),
        "format": "chatgpt",
        "imported": [1],
        "skipped": [],
        "unknown_content_types": ["hologram"],
    }
    assert messages[-1] == "  Content Kibitz does not know (hologram) was kept as notes."


def test_export_then_import_elsewhere(basedir: Path, tmp_path: Path) -> None:
    source = write_export_zip(tmp_path / "chatgpt.zip", export(3))
    assert kibitz(basedir, "import", str(source))[0] == 0
    target = tmp_path / "backup.json"
    code, _, messages = kibitz(basedir, "export", "--format", "json", "--out", str(target))
    assert (code, messages) == (0, [f"kibitz: exported 3 conversations to {target}"])
    elsewhere = tmp_path / "elsewhere"
    code, _, messages = kibitz(elsewhere, "import", str(target))
    assert messages == ["kibitz: Imported 3 conversations from backup.json (Kibitz export)."]

    def shape(base: Path) -> list[tuple[str, str, list[str]]]:
        return sorted(
            (s.conversation.uid, s.conversation.title, [m.content for m in s.messages])
            for s in stored(base)
        )

    assert shape(elsewhere) == shape(basedir)


def test_a_bad_file_imports_nothing(basedir: Path, tmp_path: Path) -> None:
    good = write_export_zip(tmp_path / "chatgpt.zip", export(2))
    kibitz(basedir, "import", str(good))
    text = json.dumps(export(4))
    cut = tmp_path / "conversations.json"
    cut.write_text(text[: len(text) - 40], encoding="utf-8")
    code, out, messages = kibitz(basedir, "import", str(cut))
    assert (code, out) == (1, "")
    assert messages[0].startswith(
        "kibitz: This file cannot be imported: conversations.json, line 1, column "
    )
    assert messages[0].endswith(": the file ends in the middle of conversation 4: it is cut short")
    assert messages[1].startswith("  Nothing was imported.")
    assert [s.conversation.title for s in stored(basedir)] == ["Chat 0", "Chat 1"]

    code, _, messages = kibitz(basedir, "import", str(tmp_path / "missing.zip"))
    assert code == 1
    assert messages == [
        f"kibitz: No such file or directory: {tmp_path / 'missing.zip'}",
        "  Check the path.",
    ]


def test_progress_line_on_a_terminal(basedir: Path, tmp_path: Path) -> None:
    """stderr on a pseudo-terminal: the progress line is drawn, then wiped before the summary."""
    path = write_export_zip(tmp_path / "big.zip", generated_export(300))
    main, child = pty.openpty()
    try:
        proc = subprocess.Popen(
            [*KIBITZ, "--basedir", str(basedir), "import", str(path)],
            env=cli_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=child,
        )
        os.close(child)
        seen = b""
        while True:
            ready, _, _ = select.select([main], [], [], 60)
            assert ready, "no output from the import"
            try:
                data = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            seen += data
        assert proc.wait(60) == 0
        assert proc.stdout is not None
        assert proc.stdout.read() == b""
        proc.stdout.close()
    finally:
        os.close(main)
    text = seen.decode("utf-8")
    assert "\rkibitz: reading big.zip:" in text
    assert "\rkibitz: saving big.zip: 100% (300 conversations)" in text
    # The terminal turns "\n" into "\r\n"; before the summary, the line is wiped.
    assert text.endswith(
        "% (300 conversations)\x1b[K\r\x1b[K"
        "kibitz: Imported 300 conversations from big.zip (ChatGPT export).\r\n"
        "  Your ChatGPT custom instructions were left out; --keep-instructions keeps them as "
        "each conversation's system prompt.\r\n"
    )
    with Store.open(database(basedir)) as store:
        assert len(store.list_conversations()) == 300


def instructed(count: int) -> list[dict[str, object]]:
    out = []
    for n in range(count):
        chat = ChatGPTConversation(f"Chat {n}", 1_718_000_000.0 + n * 60, conversation_id=f"i{n}")
        chat.hidden_system()
        chat.custom_instructions("I live in Lisbon.", "Answer in one line.")
        chat.user(f"Question {n}")
        chat.assistant(f"Answer {n}")
        out.append(chat.to_json())
    return out


def test_custom_instructions_are_left_out_unless_kept(basedir: Path, tmp_path: Path) -> None:
    path = write_export_zip(tmp_path / "chatgpt.zip", instructed(2))
    code, _, messages = kibitz(basedir, "import", str(path))
    assert code == 0
    assert messages == [
        "kibitz: Imported 2 conversations from chatgpt.zip (ChatGPT export).",
        "  Your ChatGPT custom instructions were left out; --keep-instructions keeps them as "
        "each conversation's system prompt.",
    ]
    assert [s.conversation.system_prompt for s in stored(basedir)] == [None, None]
    code, out, _ = kibitz(basedir, "export", "1")
    assert code == 0
    assert "Lisbon" not in out, "not in the Markdown export either"

    kept = tmp_path / "kept"
    code, _, messages = kibitz(kept, "import", "--keep-instructions", str(path))
    assert (code, messages) == (
        0,
        ["kibitz: Imported 2 conversations from chatgpt.zip (ChatGPT export)."],
    )
    prompt = "About me:\nI live in Lisbon.\n\nHow to respond:\nAnswer in one line."
    assert [s.conversation.system_prompt for s in stored(kept)] == [prompt, prompt]
    code, out, _ = kibitz(kept, "export", "1")
    assert f"## System\n\n{prompt}\n" in out


def test_a_reply_with_reasoning_and_a_tool_run_round_trips(basedir: Path, tmp_path: Path) -> None:
    """ChatGPT's thoughts, recap, code run and answer: one message with parts, which the JSON
    export carries to another data folder and back out unchanged."""
    chat = ChatGPTConversation("Pi", conversation_id="pi", model="o3")
    chat.user("What is pi to five places?")
    chat.thoughts(("Computing", "Use math.pi."))
    chat.reasoning_recap(3)
    chat.code_call("import math\nprint(round(math.pi, 5))")
    chat.tool_output("3.14159")
    chat.assistant("3.14159")
    source = write_export_zip(tmp_path / "chatgpt.zip", [chat.to_json()])
    assert kibitz(basedir, "import", str(source))[0] == 0
    first = tmp_path / "first.json"
    assert kibitz(basedir, "export", "--format", "json", "--out", str(first))[0] == 0
    (reply,) = [
        m for m in json.loads(first.read_text(encoding="utf-8"))["conversations"][0]["messages"]
        if m["role"] == "assistant"
    ]  # fmt: skip
    assert reply["content"] == "3.14159"
    assert [p["type"] for p in reply["parts"]] == ["reasoning", "tool_call", "tool_result", "text"]
    assert reply["parts"][0] == {"type": "reasoning", "text": "**Computing**\n\nUse math.pi.",
                                 "seconds": 3.0}  # fmt: skip
    assert reply["parts"][2]["tool_call_id"] == reply["parts"][1]["id"]

    elsewhere = tmp_path / "elsewhere"
    assert kibitz(elsewhere, "import", str(first))[0] == 0
    again = tmp_path / "again.json"
    assert kibitz(elsewhere, "export", "--format", "json", "--out", str(again))[0] == 0

    def conversations(path: Path) -> object:
        return json.loads(path.read_text(encoding="utf-8"))["conversations"]

    assert conversations(again) == conversations(first)
