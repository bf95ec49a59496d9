"""`kibitz ask --attach`: images and documents go with the question; a file that cannot go
stops the command before any request, naming the file; a model that takes no images fails
the command with that message, and the question with its attachment stays stored."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from kibitz.core.types import FilePart, ImagePart
from tests.integration.cli_support import CliResult, cli_env, run_cli, stored
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_openai.vision import images_in


def png_file(path: Path, width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "green").save(out, "PNG")
    path.write_bytes(out.getvalue())
    return out.getvalue()


def ask(basedir: Path, server: FakeOpenAI, *args: str) -> CliResult:
    return run_cli(["--basedir", str(basedir), "ask", *args], env=cli_env(base_url=server.url))


def test_an_attached_image_and_document_are_sent_and_stored(
    basedir: Path, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    data = png_file(tmp_path / "shot.png")
    notes = tmp_path / "notes.md"
    notes.write_text("# Plan\n\nShip it — on Friday.\n", encoding="utf-8")
    result = ask(
        basedir,
        fake_openai,
        "-a",
        str(tmp_path / "shot.png"),
        "--attach",
        str(notes),
        "What is this?",
    )
    assert result.returncode == 0, result.describe()
    assert result.stdout == "I see 1 image: image/png 40x30.\n"
    body = fake_openai.chat_requests[-1].body
    (seen,) = images_in(body)
    assert (seen.width, seen.height, seen.size) == (40, 30, len(data))
    text = body["messages"][-1]["content"][0]["text"]
    assert text.startswith("What is this?")
    assert "Ship it — on Friday." in text
    (conversation,) = stored(basedir)
    question = conversation.branch[0]
    kinds = [type(p) for p in question.parts if isinstance(p, ImagePart | FilePart)]
    assert kinds == [ImagePart, FilePart]


def test_a_missing_file_stops_before_any_request(
    basedir: Path, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "photo.jpg"
    result = ask(basedir, fake_openai, "-a", str(missing), "What is this?")
    assert result.returncode != 0
    assert "photo.jpg" in result.stderr
    assert "Traceback" not in result.stderr
    assert fake_openai.chat_requests == []
    assert stored(basedir) == []


def test_an_unsupported_binary_stops_before_any_request(
    basedir: Path, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    blob = tmp_path / "archive.bin"
    blob.write_bytes(bytes(range(256)) * 64)
    result = ask(basedir, fake_openai, "-a", str(blob), "Open this")
    assert result.returncode != 0
    assert "archive.bin" in result.stderr
    assert fake_openai.chat_requests == []
    assert stored(basedir) == []


def test_a_refused_image_fails_the_command_and_the_question_stays(
    basedir: Path, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.text_only_models["gpt-4o-mini"] = "openai"
    png_file(tmp_path / "shot.png")
    result = run_cli(
        [
            "--basedir",
            str(basedir),
            "ask",
            "-m",
            "gpt-4o-mini",
            "-a",
            str(tmp_path / "shot.png"),
            "What is it?",
        ],
        env=cli_env(base_url=fake_openai.url),
    )
    assert result.returncode != 0
    assert "does not accept images" in result.stderr
    assert result.stdout == ""
    (conversation,) = stored(basedir)
    question = conversation.branch[0]
    assert question.content == "What is it?"
    assert any(isinstance(p, ImagePart) for p in question.parts)


def test_an_image_piped_on_stdin_is_attached_as_a_pasted_image(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    # A screenshot on the clipboard: xclip -selection clipboard -t image/png -o | kibitz ask -a -
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(out, "PNG")
    result = run_cli(
        ["--basedir", str(basedir), "ask", "-a", "-", "What is in this screenshot?"],
        env=cli_env(base_url=fake_openai.url),
        input=out.getvalue(),
    )
    assert result.returncode == 0, result.describe()
    assert result.stdout == "I see 1 image: image/png 64x48.\n"
    (seen,) = images_in(fake_openai.chat_requests[-1].body)
    assert seen.size == len(out.getvalue())
    (conversation,) = stored(basedir)
    question = conversation.branch[0]
    assert question.content == "What is in this screenshot?"
    (image,) = [p for p in question.parts if isinstance(p, ImagePart)]
    assert (image.name, image.mime_type, image.width, image.height) == (
        "pasted-image-1.png",
        "image/png",
        64,
        48,
    )


def test_text_piped_with_attach_dash_is_a_file_not_the_question(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    result = run_cli(
        ["--basedir", str(basedir), "ask", "-a", "-", "Summarise"],
        env=cli_env(base_url=fake_openai.url),
        input="line one\nline two — déjà vu\n",
    )
    assert result.returncode == 0, result.describe()
    text = fake_openai.chat_requests[-1].body["messages"][-1]["content"]
    assert text.startswith("Summarise")
    assert '<file name="stdin.txt">' in text
    assert "line two — déjà vu" in text
    (conversation,) = stored(basedir)
    assert conversation.branch[0].content == "Summarise"


def test_attach_dash_twice_or_with_nothing_piped_is_refused_before_anything_is_stored(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    twice = run_cli(
        ["--basedir", str(basedir), "ask", "-a", "-", "-a", "-", "What?"],
        env=cli_env(base_url=fake_openai.url),
        input=b"abc",
    )
    assert twice.returncode == 2, twice.describe()
    assert "Only one attachment can come from stdin" in twice.stderr
    empty = run_cli(
        ["--basedir", str(basedir), "ask", "-a", "-", "What?"],
        env=cli_env(base_url=fake_openai.url),
        input=b"",
    )
    assert empty.returncode == 2, empty.describe()
    assert "stdin" in empty.stderr
    assert fake_openai.chat_requests == []
    assert stored(basedir) == []
