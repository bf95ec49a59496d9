"""The [defaults] section: the request parameters new conversations start with."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar

from kibitz.core.settings.fields import meta, validate_section
from kibitz.core.types import ReasoningEffort, RequestParams, ResponseFormat

# n > 1 asks for several alternative replies in one request. The API allows up to 128; past a
# handful they cannot be compared side by side and they multiply the cost, so the UI stops at 8.
MAX_CHOICES = 8
# The API accepts at most 4 stop sequences.
MAX_STOP_SEQUENCES = 4
_INT64 = 2**63


@dataclass(frozen=True, slots=True)
class RequestDefaults:
    """Request parameters for new conversations; a conversation can override each one."""

    SECTION: ClassVar[str] = "defaults"

    model: str = field(
        default="gpt-4o-mini",
        metadata=meta(
            "Model for new conversations (for Azure: the deployment name).",
            label="Model",
            nonempty=True,
        ),
    )
    temperature: float | None = field(
        default=None,
        metadata=meta(
            "Randomness: 0 is focused and repeatable, 2 very random.",
            label="Temperature",
            min=0,
            max=2,
        ),
    )
    top_p: float | None = field(
        default=None,
        metadata=meta(
            "Nucleus sampling: only the most likely tokens up to this mass.",
            label="Top p",
            min=0,
            max=1,
        ),
    )
    max_tokens: int | None = field(
        default=None,
        metadata=meta(
            "Longest reply, in tokens; also the room kept for the reply.", label="Max tokens", min=1
        ),
    )
    stop: tuple[str, ...] | None = field(
        default=None,
        metadata=meta(
            "Texts that end the reply.", label="Stop sequences", max_items=MAX_STOP_SEQUENCES
        ),
    )
    presence_penalty: float | None = field(
        default=None,
        metadata=meta(
            "Push toward new topics (positive values).", label="Presence penalty", min=-2, max=2
        ),
    )
    frequency_penalty: float | None = field(
        default=None,
        metadata=meta(
            "Discourage repeating the same words.", label="Frequency penalty", min=-2, max=2
        ),
    )
    seed: int | None = field(
        default=None,
        metadata=meta(
            "Ask for repeatable sampling (best effort).", label="Seed", min=-_INT64, max=_INT64 - 1
        ),
    )
    n: int | None = field(
        default=None,
        metadata=meta(
            "How many alternative replies to ask for.",
            label="Replies per request (n)",
            min=1,
            max=MAX_CHOICES,
        ),
    )
    response_format: ResponseFormat | None = field(
        default=None,
        metadata=meta("json_object forces the reply to be a JSON object.", label="Response format"),
    )
    reasoning_effort: ReasoningEffort | None = field(
        default=None,
        metadata=meta(
            "How long a reasoning model thinks before it answers (none: not at all). "
            "Models without reasoning may refuse it.",
            label="Reasoning effort",
        ),
    )

    def __post_init__(self) -> None:
        validate_section(self)

    def to_request_params(self) -> RequestParams:
        return RequestParams(**{f.name: getattr(self, f.name) for f in dataclasses.fields(self)})
