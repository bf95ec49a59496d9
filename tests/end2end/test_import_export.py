"""Import through File → Import… on Xvfb: the file dialog, the list, and going on with a chat.

The app runs as a subprocess (`kibitz --basedir TMP`) against the fake OpenAI server; keys are
real key presses (xdotool). Drag and drop cannot be driven on Xvfb without a window manager's
XDND support, so the drop handler is tested with real Qt drop events in
tests/unit/ui/test_transfer_actions.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.end2end.app_driver import (
    RunningApp,
    find_window,
    messages,
    query,
    wait_for,
    xdotool,
)
from tests.integration.cli_support import stored
from tests.support.chatgpt_export import ChatGPTConversation, write_export_zip

pytestmark = pytest.mark.display


def chatgpt_export(path: Path) -> Path:
    older = ChatGPTConversation("Sourdough", 1_718_000_000.0, conversation_id="bread")
    older.hidden_system()
    older.user("How long should dough rise?")
    older.assistant("About four hours at room temperature.")
    newer = ChatGPTConversation("Axolotls", 1_719_000_000.0, conversation_id="axolotl")
    newer.hidden_system()
    newer.custom_instructions("I keep an aquarium.", "Be brief.")
    question = newer.user("Can axolotls regrow limbs?")
    newer.assistant("Yes, within weeks.")
    newer.assistant("Yes: limbs, and even parts of the heart.", parent=question)
    return write_export_zip(path, [older.to_json(), newer.to_json()])


def test_file_import_then_open_it_from_the_list_and_go_on(
    basedir: Path, tmp_path: Path, app: RunningApp
) -> None:
    path = chatgpt_export(tmp_path / "chatgpt-export.zip")
    app.key("ctrl+shift+o")
    dialog = find_window(app.env, app.proc.pid, "^Import conversations$")
    xdotool(app.env, "windowfocus", "--sync", str(dialog))
    app.type(str(path))  # the dialog's file name field has the focus
    app.key("Return")

    def imported() -> list[str]:
        rows = query(basedir, "SELECT uid FROM conversations ORDER BY uid")
        return [r["uid"] for r in rows]

    assert wait_for(lambda: len(imported()) == 2 and imported(), "the import") == [
        "chatgpt:axolotl",
        "chatgpt:bread",
    ]
    app.screenshot("imported")

    # No window manager hands the focus back when the dialog closes: do what one would.
    xdotool(app.env, "windowfocus", "--sync", str(app.window))
    # The list shows them, newest first: from the empty search field Down enters the list on
    # its first row, which opens; Enter goes on to the composer.
    app.key("ctrl+k", "Down", "Return")
    app.send("And their gills?")

    def follow_up_answered() -> bool:
        rows = messages(basedir)
        asked = [m["id"] for m in rows if m["content"] == "And their gills?"]
        return any(m["parent_id"] in asked and m["status"] == "complete" for m in rows)

    wait_for(follow_up_answered, "a reply to the follow-up")
    app.screenshot("imported-continued")
    code = app.close()
    assert code == 0, app.output
    assert "Traceback" not in app.output, app.output

    axolotl = next(c for c in stored(basedir) if c.conversation.uid == "chatgpt:axolotl")
    # The follow-up went on from the current branch (the regenerated reply); ChatGPT's custom
    # instructions are account settings, left out unless the import dialog is told to keep them.
    assert [m.content for m in axolotl.branch] == [
        "Can axolotls regrow limbs?",
        "Yes: limbs, and even parts of the heart.",
        "And their gills?",
        axolotl.branch[-1].content,
    ]
    assert axolotl.conversation.system_prompt is None
    assert len(axolotl.messages) == 5, "the first reply is kept as a branch"
