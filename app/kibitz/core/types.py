"""Shared value types of the core: ids, roles, statuses and frozen records."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

# Defined with the changes (a light module the first frame uses); handed out here too.
from kibitz.core.changes import ChangeKind as ChangeKind
from kibitz.core.changes import Changes as Changes
from kibitz.core.changes import ConversationId as ConversationId
from kibitz.core.changes import MessageId as MessageId

ResponseFormat = Literal["text", "json_object"]
# What OpenAI's reasoning models take ("none" and "xhigh" from gpt-5.1 on); other servers
# take some of them (vLLM, OpenRouter) or none (the parameter is sent only when set).
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
REASONING_EFFORTS: tuple[ReasoningEffort, ...] = (
    "none",
    "minimal",
    "low",
    "medium",
    "high",
    "xhigh",
)


class Role(enum.StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class MessageStatus(enum.StrEnum):
    """Where a message stands; an assistant reply moves from STREAMING to one of the others."""

    COMPLETE = "complete"
    STREAMING = "streaming"
    LENGTH = "length"  # cut by max_tokens or the context window
    CONTENT_FILTER = "content_filter"
    INTERRUPTED = "interrupted"  # stopped by the user, the network or a crash; text kept
    ERROR = "error"  # failed before any useful text; the error is stored with it

    @classmethod
    def from_finish_reason(cls, reason: str | None) -> MessageStatus:
        """Map an API finish_reason onto a status; None means the stream ended without one."""
        if reason in ("stop", "tool_calls", "function_call", "eos"):
            return cls.COMPLETE
        if reason == "length":
            return cls.LENGTH
        if reason == "content_filter":
            return cls.CONTENT_FILTER
        return cls.INTERRUPTED


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens of one request as the server reports them. completion_tokens includes the
    reasoning_tokens of a reasoning model (OpenAI's completion_tokens_details), and
    prompt_tokens the cached_tokens read from the provider's prompt cache
    (prompt_tokens_details), which are billed at a lower price."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0


@dataclass(frozen=True, slots=True)
class RequestParams:
    """Request parameters; None means "not set here" so layers can be merged.

    Global defaults come from settings, a conversation stores its overrides, the CLI adds its
    flags; `merged` lays one layer over another.
    """

    model: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    n: int | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: ReasoningEffort | None = None
    # Structured output: the JSON text of {"name", "schema", "strict"} (core/chat/
    # structured_output.py); when set it is sent instead of response_format.
    json_schema: str | None = None
    # Whether a conversation offers the tools of its enabled MCP servers (None: it does when
    # one is enabled). Kept with the conversation, never sent: build_request picks by name.
    tools: bool | None = None

    def merged(self, override: RequestParams) -> RequestParams:
        """Return self with every field that `override` sets replaced by its value."""
        changes = {
            f.name: getattr(override, f.name)
            for f in dataclasses.fields(override)
            if getattr(override, f.name) is not None
        }
        return dataclasses.replace(self, **changes)

    def overridden(self) -> dict[str, Any]:
        """The fields that are set, as plain JSON-ready values."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RequestParams:
        """Build from a JSON-like mapping; unknown keys are ignored (older/newer files)."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names and v is not None}
        if "stop" in kwargs:
            stop = kwargs["stop"]
            kwargs["stop"] = (stop,) if isinstance(stop, str) else tuple(stop)
        return cls(**kwargs)


# -- the parts of a message --------------------------------------------------------------------


class PartType(enum.StrEnum):
    """What a part of a message holds; the values are the `type` of the JSON export."""

    TEXT = "text"
    REASONING = "reasoning"
    IMAGE = "image"
    FILE = "file"
    TOOL_CALL = "tool_call"
    TOOL_RESULT = "tool_result"


class ToolStatus(enum.StrEnum):
    OK = "ok"
    ERROR = "error"  # the tool ran and failed, or could not be run
    DENIED = "denied"  # the user did not approve the call


@dataclass(frozen=True, slots=True)
class TextPart:
    """What the user wrote, or the answer: the only parts sent as text and searched."""

    text: str
    type: ClassVar[PartType] = PartType.TEXT


@dataclass(frozen=True, slots=True)
class ReasoningPart:
    """A model's reasoning, shown apart and never sent back to the server."""

    text: str
    seconds: float | None = None  # how long the model thought, when it was timed
    type: ClassVar[PartType] = PartType.REASONING


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image; its bytes are stored once, under their SHA-256 (`blob`)."""

    blob: str
    name: str
    mime_type: str
    size: int  # bytes
    width: int | None = None
    height: int | None = None
    type: ClassVar[PartType] = PartType.IMAGE


@dataclass(frozen=True, slots=True)
class FilePart:
    """A document; its bytes are stored once (`blob`), `text` is what was extracted and sent."""

    blob: str
    name: str
    mime_type: str
    size: int
    text: str | None = None
    type: ClassVar[PartType] = PartType.FILE


@dataclass(frozen=True, slots=True)
class ToolCallPart:
    """A function call the model asked for: `name` and `arguments` exactly as sent to it."""

    id: str
    name: str
    arguments: str  # a JSON string
    server: str | None = None  # the MCP server that offers it
    tool: str | None = None  # the tool's own name on that server
    type: ClassVar[PartType] = PartType.TOOL_CALL


@dataclass(frozen=True, slots=True)
class ToolResultPart:
    """What a call returned (or why it did not run: `status`), as sent back to the model."""

    tool_call_id: str
    content: str
    is_error: bool = False
    status: ToolStatus = ToolStatus.OK
    seconds: float | None = None  # how long the call ran, when it ran
    type: ClassVar[PartType] = PartType.TOOL_RESULT


Part = TextPart | ReasoningPart | ImagePart | FilePart | ToolCallPart | ToolResultPart
PART_CLASSES: dict[PartType, type[Part]] = {
    cls.type: cls
    for cls in (TextPart, ReasoningPart, ImagePart, FilePart, ToolCallPart, ToolResultPart)
}
TEXT_SEPARATOR = "\n\n"  # between the text parts of one message, wherever they are joined


def text_of(parts: Sequence[Part]) -> str:
    """The plain text of a message: its text parts joined (never reasoning or tool data)."""
    texts = [p.text for p in parts if isinstance(p, TextPart)]
    return texts[0] if len(texts) == 1 else TEXT_SEPARATOR.join(texts)


def as_parts(content: str | Sequence[Part]) -> tuple[Part, ...]:
    """Parts from either parts or plain text (one text part; none for "")."""
    if isinstance(content, str):
        return (TextPart(content),) if content else ()
    return tuple(content)


@dataclass(frozen=True, slots=True)
class Conversation:
    id: ConversationId
    uid: str  # stable across export and import
    title: str
    created_at: float  # unix seconds
    updated_at: float
    pinned: bool = False
    deleted_at: float | None = None
    current_leaf_id: MessageId | None = None
    system_prompt: str | None = None
    params: RequestParams = field(default_factory=RequestParams)
    provider: str | None = None
    message_count: int = 0


@dataclass(frozen=True, slots=True)
class Message:
    id: MessageId
    conversation_id: ConversationId
    parent_id: MessageId | None
    role: Role
    status: MessageStatus
    created_at: float
    updated_at: float
    parts: tuple[Part, ...] = ()
    model: str | None = None
    finish_reason: str | None = None
    usage: Usage | None = None
    error: str | None = None  # "code: headline" of the failure, for ERROR/INTERRUPTED replies
    choice_index: int = 0  # n > 1: which alternative of one request this is
    provider: str | None = None  # the provider profile that answered (a reply with usage)
    # What the reply cost in nano-US-dollars with the price in force when its usage arrived;
    # None: the price was not known (core/pricing).
    cost_nanos: int | None = None

    @property
    def content(self) -> str:
        """The message's plain text: what the user wrote, or the answer (no reasoning)."""
        return text_of(self.parts)

    @property
    def reasoning(self) -> str:
        return TEXT_SEPARATOR.join(p.text for p in self.parts if isinstance(p, ReasoningPart))


@dataclass(frozen=True, slots=True)
class SearchHit:
    conversation_id: ConversationId
    message_id: MessageId
    conversation_title: str
    role: Role
    snippet: str  # with the matched words between [ and ]
    created_at: float
