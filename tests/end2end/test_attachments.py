"""Attachments in the running app on Xvfb: a screenshot and files copied in a file manager,
pasted with a real Ctrl+V from the real X clipboard (another process owns it, as a screenshot
tool or a file manager does), sent with a question to the fake server; and a draft with an
image that survives closing the app and is sent after it starts again.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kibitz.core.types import FilePart, ImagePart, MessageStatus, TextPart
from tests.end2end.app_driver import (
    RunningApp,
    display_env,
    messages,
    running_app,
    wait_for,
)
from tests.integration.cli_support import stored
from tests.support import attachment_files as files
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_openai.vision import images_in

pytestmark = pytest.mark.display

# Owns the X clipboard until killed, as a screenshot tool or a file manager does after Copy:
# "image PATH" offers the picture as image data, "files PATH..." as a uri-list (and the paths
# as text, as file managers also offer them).
CLIPBOARD_OWNER = r"""
import sys
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QGuiApplication, QImage
app = QGuiApplication(sys.argv[:1])
kind, *args = sys.argv[1:]
mime = QMimeData()
if kind == "image":
    mime.setImageData(QImage(args[0]))
else:
    mime.setUrls([QUrl.fromLocalFile(a) for a in args])
    mime.setText("\n".join(args))
app.clipboard().setMimeData(mime)
print("ready", flush=True)
app.exec()
"""


@contextmanager
def clipboard(env: dict[str, str], *args: str) -> Iterator[None]:
    with subprocess.Popen(
        [sys.executable, "-c", CLIPBOARD_OWNER, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as owner:
        try:
            assert owner.stdout is not None
            line = owner.stdout.readline()
            assert line.strip() == "ready", line
            yield
        finally:
            owner.kill()


def close_cleanly(app: RunningApp) -> None:
    assert app.close() == 0, app.output
    assert "Traceback" not in app.output, app.output


def reply_to(basedir: Path, question: str) -> dict[str, object]:
    def probe() -> dict[str, object] | None:
        rows = messages(basedir)
        asked = [m["id"] for m in rows if m["role"] == "user" and m["content"] == question]
        done = [m for m in rows if m["parent_id"] in asked and m["status"] != "streaming"]
        return dict(done[0]) if done else None

    return wait_for(probe, f"a reply to {question!r}")


def test_a_pasted_screenshot_and_pasted_files_are_sent_with_the_question(
    basedir: Path, app: RunningApp, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    shot = tmp_path / "shot.png"
    shot.write_bytes(files.quadrant_png(640, 400))
    notes = tmp_path / "meeting notes.txt"
    notes.write_text("Ship on Friday.\nAsk Dana about the logo.\n", encoding="utf-8")
    with clipboard(app.env, "image", str(shot)):
        app.key("ctrl+v")
        wait_for(lambda: (basedir / "data" / "drafts").exists(), "the draft with the image")
    with clipboard(app.env, "files", str(notes)):
        app.key("ctrl+v")
        manifest = basedir / "data" / "drafts" / "new" / "draft.json"
        wait_for(
            lambda: manifest.exists() and len(json.loads(manifest.read_text())["attachments"]) == 2,
            "both attachments in the draft",
        )
    app.screenshot("attachments-pasted")
    app.send("What is on the screenshot, and when do we ship?")
    reply = reply_to(basedir, "What is on the screenshot, and when do we ship?")
    assert reply["status"] == "complete"
    app.screenshot("attachments-sent")
    close_cleanly(app)

    (chat,) = stored(basedir)
    question = chat.branch[0]
    text, image, document = question.parts
    assert text == TextPart("What is on the screenshot, and when do we ship?")
    assert isinstance(image, ImagePart)
    assert (image.name, image.mime_type, image.width, image.height) == (
        "pasted-image-1.png",
        "image/png",
        640,
        400,
    )
    assert isinstance(document, FilePart)
    assert document.name == "meeting notes.txt"
    assert document.text == "Ship on Friday.\nAsk Dana about the logo.\n"
    (request,) = [r for r in fake_openai.chat_requests if images_in(r.body)]
    (seen,) = images_in(request.body)
    assert (seen.width, seen.height) == (640, 400)
    assert "Ask Dana about the logo." in json.dumps(request.body)


def test_a_draft_with_an_image_survives_closing_the_app(
    basedir: Path, tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    env = display_env(base_url=fake_openai.url)
    shot = tmp_path / "diagram.png"
    shot.write_bytes(files.quadrant_png(300, 200))
    manifest = basedir / "data" / "drafts" / "new" / "draft.json"
    with running_app(basedir, env, tmp_path / "logs") as app:
        app.type("Explain this diagram")
        with clipboard(app.env, "image", str(shot)):
            app.key("ctrl+v")
            wait_for(
                lambda: manifest.exists() and json.loads(manifest.read_text())["attachments"],
                "the draft with the image",
            )
        close_cleanly(app)
    draft = json.loads(manifest.read_text(encoding="utf-8"))
    assert draft["text"] == "Explain this diagram"
    assert [a["name"] for a in draft["attachments"]] == ["pasted-image-1.png"]

    with running_app(basedir, env, tmp_path / "logs") as app:
        app.screenshot("attachments-draft-restored")
        app.key("Return")  # the restored draft, sent as it is
        reply = reply_to(basedir, "Explain this diagram")
        assert reply["status"] == str(MessageStatus.COMPLETE)
        close_cleanly(app)
    (chat,) = stored(basedir)
    text, image = chat.branch[0].parts
    assert text == TextPart("Explain this diagram")
    assert isinstance(image, ImagePart)
    assert (image.width, image.height) == (300, 200)
    assert not manifest.exists(), "a sent draft is gone"


def test_the_cli_asks_about_the_screenshot_on_the_clipboard(
    basedir: Path, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    """What the README shows: a screenshot tool's copy, read with xclip from the real X
    clipboard (another process owns it) and piped into `kibitz ask -a -`."""
    import shlex
    import shutil

    from tests.integration.cli_support import KIBITZ

    if shutil.which("xclip") is None:
        pytest.skip("needs xclip: bash tests/run.sh installs it")
    env = display_env(base_url=fake_openai.url)
    shot = tmp_path / "shot.png"
    shot.write_bytes(files.quadrant_png(320, 200))
    question = "What is on my screen?"
    with clipboard(env, "image", str(shot)):
        kibitz = shlex.join([*KIBITZ, "--basedir", str(basedir), "ask", "-a", "-", question])
        command = f"xclip -selection clipboard -t image/png -o | {kibitz}"
        proc = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "I see 1 image: image/png 320x200.\n"
    (chat,) = stored(basedir)
    (image,) = [p for p in chat.branch[0].parts if isinstance(p, ImagePart)]
    assert (image.name, image.width, image.height) == ("pasted-image-1.png", 320, 200)
    assert chat.replies[0].status is MessageStatus.COMPLETE
