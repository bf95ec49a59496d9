"""Naming a new conversation from its first exchange: one short, cheap, non-streamed request."""

from __future__ import annotations

import dataclasses
import re

from kibitz.core.chat import (
    AnswerWasReasoning,
    ChatClient,
    ChatTurn,
    Delta,
    Failed,
    RetryPolicy,
    build_request,
)
from kibitz.core.errors import KibitzError
from kibitz.core.types import RequestParams, Role

MAX_TITLE_LENGTH = 60
_EXCERPT = 1500  # characters of each message sent: enough to name it, cheap to send
_INSTRUCTION = (
    "Write a title of three to six words for the conversation below. "
    "Answer with the title only: no quotes, no trailing full stop."
)


def fallback_title(prompt: str) -> str:
    """The first words of the question, used until (or instead of) a suggested title."""
    line = " ".join(prompt.split())
    if len(line) <= MAX_TITLE_LENGTH:
        return line
    return line[: MAX_TITLE_LENGTH - 1].rstrip() + "…"


def clean_title(raw: str) -> str:
    """A model's answer made into a title: one line, no quotes, Markdown or label."""
    line = next((part for part in raw.strip().splitlines() if part.strip()), "")
    line = re.sub(r"^(title|conversation title)\s*:\s*", "", line.strip(), flags=re.IGNORECASE)
    line = line.strip().strip("*#_`\"'“”‘’ ").rstrip(".")
    return fallback_title(line)


async def suggest_title(
    client: ChatClient, params: RequestParams, question: str, answer: str
) -> str | None:
    """A title for the exchange, or None when the server could not give one."""
    request = build_request(
        [
            ChatTurn(Role.SYSTEM, _INSTRUCTION),
            ChatTurn(Role.USER, f"User: {question[:_EXCERPT]}\n\nAssistant: {answer[:_EXCERPT]}"),
        ],
        dataclasses.replace(
            RequestParams(model=params.model), temperature=0.2, max_tokens=24, n=None
        ),
        stream=False,
    )
    parts: list[str] = []
    try:
        async for event in client.stream(request, retry=RetryPolicy(max_retries=0)):
            if isinstance(event, Delta) and event.index == 0 and not event.refusal:
                parts.append(event.text)
            elif isinstance(event, AnswerWasReasoning) and event.index == 0:
                parts.clear()  # a model that reasons before its title: the title follows
            elif isinstance(event, Failed):
                return None
    except KibitzError:
        return None
    title = clean_title("".join(parts))
    return title or None
