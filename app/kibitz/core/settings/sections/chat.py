"""The [chat] section: how replies are streamed, retried and fitted to the model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from kibitz.core.settings.fields import meta, validate_section

ImageDetail = Literal["auto", "low", "high"]


@dataclass(frozen=True, slots=True)
class ChatSettings:
    SECTION: ClassVar[str] = "chat"

    stall_timeout_s: float = field(
        default=60.0,
        metadata=meta(
            "Give up on a reply when the server sends nothing for this long.",
            min=5,
            max=3600,
            unit="seconds",
        ),
    )
    request_timeout_s: float = field(
        default=600.0,
        metadata=meta(
            "How long one request may take before it fails.", min=5, max=3600, unit="seconds"
        ),
    )
    max_retries: int = field(
        default=3,
        metadata=meta(
            "Retries for rate limits, server errors and dropped connections.", min=0, max=10
        ),
    )
    auto_title: bool = field(
        default=True, metadata=meta("Name new conversations from their first exchange.")
    )
    context_reserve_tokens: int = field(
        default=2048,
        metadata=meta(
            "Room kept for the reply when old messages are trimmed to fit the model "
            "(max_tokens, when set, is used instead).",
            min=0,
            max=1_000_000,
            unit="tokens",
        ),
    )
    unknown_context_window: int = field(
        default=8192,
        metadata=meta(
            "Context window assumed for models Kibitz does not know (local models).",
            min=256,
            max=10_000_000,
            unit="tokens",
        ),
    )
    image_detail: ImageDetail = field(
        default="auto",
        metadata=meta(
            "How closely the model looks at images: low is cheaper (a fixed 85 tokens an "
            "image on OpenAI), high reads small print, auto lets the server choose."
        ),
    )

    def __post_init__(self) -> None:
        validate_section(self)
