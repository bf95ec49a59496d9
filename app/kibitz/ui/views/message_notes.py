"""The lines under a message, worded from the message alone: its token use (and cost), and
the note on how it ended (cut at the token limit, filtered, stopped, what trimming left out).
"""

from __future__ import annotations

from kibitz.core.types import Message, MessageStatus, Role

CONTENT_FILTER_NOTE = (
    "The provider's content filter stopped this reply. Rephrasing the request may help; "
    "the filter is the provider's, not Kibitz's."
)
LENGTH_NOTE = "The reply stopped at the token limit."


def usage_line(message: Message) -> tuple[str, str]:
    """("61 → 38 tokens (12 reasoning) · $0.0001", its tooltip); empty for none."""
    usage = message.usage
    if usage is None or message.role is not Role.ASSISTANT:
        return "", ""
    text = f"{usage.prompt_tokens:,} → {usage.completion_tokens:,} tokens"
    tip = "Prompt tokens sent → completion tokens received"
    if usage.reasoning_tokens:
        # The server counts reasoning inside the completion tokens (OpenAI's
        # completion_tokens_details): say how much of them it was.
        text += f" ({usage.reasoning_tokens:,} reasoning)"
        tip += ", of which the model spent some reasoning"
    if message.cost_nanos is not None:
        from kibitz.core.pricing import format_usd

        text += f" · {format_usd(message.cost_nanos)}"
        tip += "; what it cost at the price in force when it came (Settings → Prices)"
    return text, tip


def has_stored_error(message: Message) -> bool:
    """A failure is stored with it (a user's stop is not one)."""
    error = message.error
    return bool(error) and not (error or "").startswith("cancelled:")


def note_text(message: Message, trimming: str | None) -> str:
    """How it ended, then (for a reply) what its request left out to fit the window."""
    status = _status_note(message)
    if trimming and message.role is Role.ASSISTANT:
        return f"{status} · {trimming}" if status else trimming
    return status


def _status_note(message: Message) -> str:
    status = message.status
    if status is MessageStatus.LENGTH:
        return LENGTH_NOTE
    if status is MessageStatus.CONTENT_FILTER:
        return CONTENT_FILTER_NOTE
    if status is MessageStatus.INTERRUPTED and not has_stored_error(message):
        return "Stopped" if message.content else "Stopped before any text arrived"
    reason = message.finish_reason
    if status is MessageStatus.COMPLETE and reason not in (None, "stop", "eos"):
        return f"Finished: {reason}"
    return ""
