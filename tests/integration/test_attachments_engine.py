"""Attachments through the conversation engine, over a real store file and the fake server:
what is stored (the original bytes, once), what is sent (data: URLs the server can decode,
documents as text), and what happens when a model takes no images or a file is too big."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from kibitz.core.attachments import Attachment, AttachmentKind
from kibitz.core.conversation.engine import ConversationEngine
from kibitz.core.conversation.events import TurnEnded
from kibitz.core.errors import (
    Action,
    AttachmentError,
    ContextTooLongError,
    ImagesNotSupportedError,
)
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.store import Store
from kibitz.core.types import FilePart, ImagePart, MessageStatus, Role, TextPart
from tests.integration.chat_support import TEST_KEY
from tests.integration.test_conversation_engine import OPTIONS, replies, run, settings_for
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_openai.script import Fault
from tests.support.fake_openai.vision import images_in


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kibitz.sqlite3") as opened:
        yield opened


def make_engine(store: Store, fake: FakeOpenAI, **values: object) -> ConversationEngine:
    secrets = MemorySecretStore()
    secrets.set_key("fake", TEST_KEY)
    settings = settings_for(fake)
    for path, value in values.items():
        settings = settings.with_value(path.replace("__", "."), value)
    return ConversationEngine(store, lambda: settings, secrets, env={})


@pytest.fixture
def engine(store: Store, fake_openai: FakeOpenAI) -> ConversationEngine:
    return make_engine(store, fake_openai)


def png(width: int, height: int, color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def image(name: str, data: bytes) -> Attachment:
    with Image.open(io.BytesIO(data)) as img:
        width, height = img.size
    return Attachment(name, "image/png", data, AttachmentKind.IMAGE, width=width, height=height)


def document(name: str, text: str) -> Attachment:
    return Attachment(name, "text/plain", text.encode(), AttachmentKind.FILE, text=text)


@pytest.mark.asyncio
async def test_an_image_is_stored_once_as_given_and_sent_as_a_data_url(
    engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    data = png(64, 48)
    conversation = engine.store.create_conversation("t")
    events = await run(
        engine.send(conversation.id, "What is this?", attachments=[image("a.png", data)])
    )
    assert events[-1].failure is None  # type: ignore[attr-defined]
    question = engine.store.branch(conversation.id)[0]
    assert question.role is Role.USER
    text, part = question.parts
    assert text == TextPart("What is this?")
    assert isinstance(part, ImagePart)
    assert (part.name, part.mime_type, part.size, part.width, part.height) == (
        "a.png",
        "image/png",
        len(data),
        64,
        48,
    )
    assert engine.store.blob(part.blob) == data
    body = fake_openai.chat_requests[-1].body
    content = body["messages"][-1]["content"]
    assert content[0] == {"type": "text", "text": "What is this?"}
    assert content[1]["type"] == "image_url"
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")
    (seen,) = images_in(body)
    assert (seen.width, seen.height, seen.size) == (64, 48, len(data))
    (reply,) = replies(engine.store, conversation.id)
    assert reply.content == "I see 1 image: image/png 64x48."


@pytest.mark.asyncio
async def test_a_large_image_is_scaled_for_sending_and_kept_whole_in_the_store(
    engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    data = png(3000, 1500, "blue")
    conversation = engine.store.create_conversation("t")
    await run(engine.send(conversation.id, "", attachments=[image("wide.png", data)]))
    (seen,) = images_in(fake_openai.chat_requests[-1].body)
    assert (seen.width, seen.height) == (2048, 1024)
    (part,) = engine.store.branch(conversation.id)[0].parts
    assert isinstance(part, ImagePart)
    assert engine.store.blob(part.blob) == data
    # No typed text: the message is the image alone.
    content = fake_openai.chat_requests[-1].body["messages"][-1]["content"]
    assert [c["type"] for c in content] == ["image_url"]


@pytest.mark.asyncio
async def test_the_same_image_twice_is_stored_once(
    engine: ConversationEngine, store: Store
) -> None:
    data = png(10, 10)
    conversation = store.create_conversation("t")
    await run(engine.send(conversation.id, "one", attachments=[image("a.png", data)]))
    await run(engine.send(conversation.id, "two", attachments=[image("b.png", data)]))
    with store._db.read() as conn:  # the table itself: one row however often it is used
        (count,) = conn.execute("SELECT count(*) FROM blobs").fetchone()
    assert count == 1


@pytest.mark.asyncio
async def test_a_document_goes_as_text_naming_the_file(
    engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    text = "Größe,Preis\nÄpfel,3 €\n"
    conversation = engine.store.create_conversation("t")
    await run(
        engine.send(conversation.id, "Sum the prices", attachments=[document("prices.csv", text)])
    )
    sent = fake_openai.chat_requests[-1].body["messages"][-1]["content"]
    assert isinstance(sent, str)  # no images: one string, which every server takes
    assert sent.startswith("Sum the prices\n\n")
    assert '<file name="prices.csv">\nGröße,Preis\nÄpfel,3 €\n</file>' in sent
    question = engine.store.branch(conversation.id)[0]
    (part,) = [p for p in question.parts if isinstance(p, FilePart)]
    assert part.text == text
    assert question.content == "Sum the prices"  # the searchable text is what was typed


@pytest.mark.asyncio
async def test_follow_ups_send_the_images_again_and_the_detail_setting(
    store: Store, fake_openai: FakeOpenAI
) -> None:
    engine = make_engine(store, fake_openai, chat__image_detail="low")
    conversation = store.create_conversation("t")
    await run(engine.send(conversation.id, "Look", attachments=[image("a.png", png(8, 8))]))
    await run(engine.send(conversation.id, "And now?"))
    sent = fake_openai.chat_requests[-1].body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[0]["content"][1]["image_url"]["detail"] == "low"
    assert sent[2] == {"role": "user", "content": "And now?"}


@pytest.mark.asyncio
async def test_a_model_that_takes_no_images_says_so_and_the_message_stays(
    engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    fake_openai.text_only_models["gpt-4o-mini"] = "openai"
    conversation = engine.store.create_conversation("t")
    events = await run(
        engine.send(conversation.id, "What is it?", attachments=[image("a.png", png(5, 5))])
    )
    end = events[-1]
    assert isinstance(end, TurnEnded)
    assert isinstance(end.failure, ImagesNotSupportedError)
    assert end.failure.headline == "This model does not accept images"
    question, reply = engine.store.branch(conversation.id)
    assert any(isinstance(p, ImagePart) for p in question.parts)
    assert reply.status is MessageStatus.ERROR


@pytest.mark.parametrize("dialect", ["llama.cpp", "ollama", "vllm"])
@pytest.mark.asyncio
async def test_each_servers_refusal_of_images_is_recognised(
    engine: ConversationEngine, fake_openai: FakeOpenAI, dialect: str
) -> None:
    fake_openai.text_only_models["gpt-4o-mini"] = dialect
    conversation = engine.store.create_conversation("t")
    events = await run(
        engine.send(conversation.id, "?", attachments=[image("a.png", png(5, 5))], options=OPTIONS)
    )
    assert isinstance(events[-1].failure, ImagesNotSupportedError)  # type: ignore[attr-defined]


def test_a_file_too_big_for_the_model_is_refused_before_anything_is_stored(
    store: Store, fake_openai: FakeOpenAI
) -> None:
    # A model Kibitz does not know gets the setting's window: 1,000 tokens.
    engine = make_engine(
        store, fake_openai, defaults__model="local-model", chat__unknown_context_window=1000
    )
    conversation = store.create_conversation("t")
    big = document("novel.txt", "word " * 5000)
    with pytest.raises(AttachmentError) as caught:
        engine.send(conversation.id, "Summarise", attachments=[big])
    assert caught.value.headline == "novel.txt is too big for this model"
    assert "1,000" in caught.value.detail
    assert store.branch(conversation.id) == []
    with store._db.read() as conn:
        assert conn.execute("SELECT count(*) FROM blobs").fetchone() == (0,)
    with pytest.raises(AttachmentError):
        engine.check_attachments("Summarise", [big], conversation_id=conversation.id)
    assert fake_openai.chat_requests == []


@pytest.mark.asyncio
async def test_a_server_with_a_smaller_window_than_assumed_names_the_file_it_overflowed(
    engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    # Kibitz's own check passed (the model's window is larger than this server's context):
    # the server's refusal names the file, and says what helps, not "trim the oldest messages".
    fake_openai.script(Fault.context_length("llama.cpp"))
    conversation = engine.store.create_conversation("t")
    notes = document("notes.txt", "word " * 300)
    events = await run(engine.send(conversation.id, "Summarise", attachments=[notes]))
    end = events[-1]
    assert isinstance(end, TurnEnded)
    assert isinstance(end.failure, ContextTooLongError)
    assert end.failure.headline == "The question with notes.txt is too long for this model"
    assert "shorter part of the file" in end.failure.hint
    assert end.failure.action is Action.CHOOSE_MODEL
    question, reply = engine.store.branch(conversation.id)
    assert any(isinstance(p, FilePart) for p in question.parts)
    assert reply.status is MessageStatus.ERROR
    assert reply.error is not None
    assert "notes.txt" in reply.error
    # Without attachments the server's refusal keeps its own advice.
    fake_openai.script(Fault.context_length("llama.cpp"))
    events = await run(engine.send(conversation.id, "And a plain question"))
    assert events[-1].failure.headline == "The conversation is too long for this model"  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_edit_and_resend_keeps_the_attachments_it_is_given(
    engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    conversation = engine.store.create_conversation("t")
    await run(engine.send(conversation.id, "Wht is ths?", attachments=[image("a.png", png(9, 9))]))
    old = engine.store.branch(conversation.id)[0]
    kept = [p for p in old.parts if isinstance(p, ImagePart)]
    await run(engine.edit(old.id, "What is this?", attachments=kept))
    new = engine.store.branch(conversation.id)[0]
    assert new.id != old.id
    assert new.parent_id == old.parent_id
    assert new.parts == (TextPart("What is this?"), *kept)
    (seen,) = images_in(fake_openai.chat_requests[-1].body)
    assert (seen.width, seen.height) == (9, 9)
