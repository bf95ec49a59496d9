"""The next request, before it is sent: its body after trimming, and why each value is there.

The request inspector shows it for the open conversation and `kibitz ask --dry-run` prints it;
both build it exactly as sending would (prepare.py), but store nothing and read no key. Each
parameter says where it came from: the defaults in Settings, the conversation's own values, or
this request (a model or flag chosen for it); the context window says whether it is the
model's published limit or the setting used for models Kibitz does not know.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from kibitz.core.attachments import Attachment
from kibitz.core.chat import ChatTurn
from kibitz.core.conversation.attachments import attachment_part
from kibitz.core.conversation.prepare import PreparedRequest, TurnOptions, prepare_turns, sendable
from kibitz.core.models import context_window
from kibitz.core.store.blobs import blob_digest
from kibitz.core.types import (
    ConversationId,
    FilePart,
    ImagePart,
    Message,
    MessageId,
    MessageStatus,
    Part,
    RequestParams,
    Role,
    TextPart,
)

if TYPE_CHECKING:
    from kibitz.core.conversation.engine import ConversationEngine

DEFAULT = "default"  # Settings → Parameters
CONVERSATION = "conversation"  # this conversation's own parameters
THIS_REQUEST = "this request"  # a flag, or the model picked for this message
MODEL_LIMIT = "model limit"  # the model's published limit
SETTING = "setting"  # chat.unknown_context_window, for models Kibitz does not know


@dataclass(frozen=True, slots=True)
class ParamSource:
    name: str
    value: Any
    source: str


@dataclass(frozen=True, slots=True)
class RequestPreview:
    """What sending now would send, to whom, and why."""

    prepared: PreparedRequest
    provider: str  # the profile's name
    url: str  # where the body would be POSTed
    params: tuple[ParamSource, ...]
    window: ParamSource | None  # the context window the history was trimmed to

    @property
    def body(self) -> dict[str, Any]:
        return self.prepared.body


def preview_request(
    engine: ConversationEngine,
    content: str,
    *,
    conversation_id: ConversationId | None = None,
    attachments: Sequence[Attachment | ImagePart | FilePart] = (),
    overrides: RequestParams | None = None,
    options: TurnOptions | None = None,
    provider: str | None = None,
    system_prompt: str | None = None,
    use_default_prompt: bool = True,
) -> RequestPreview:
    """The request a new message `content` (with `attachments`) would make: in conversation
    `conversation_id` under its current leaf, or as the first message of a new conversation
    (with `system_prompt`, else the default preset unless `use_default_prompt` is off).
    Raises ConfigError as sending would (no model, an unknown provider)."""
    from kibitz.core.conversation.engine import turn_options
    from kibitz.core.settings.presets import default_prompt
    from kibitz.core.settings.provider import effective_provider

    settings = engine.settings
    store = engine.store
    overrides = overrides or RequestParams()
    defaults = settings.defaults.to_request_params()
    history: list[Message | ChatTurn] = []
    own = RequestParams()
    if conversation_id is not None:
        conversation = store.get_conversation(conversation_id)
        own = conversation.params
        provider = provider or conversation.provider
        if conversation.current_leaf_id is not None:
            branch = store.branch(conversation_id, conversation.current_leaf_id)
            history.extend(m for m in branch if sendable(m))
        system = conversation.system_prompt if system_prompt is None else system_prompt
    else:
        system = system_prompt
        if system is None and use_default_prompt:
            system = default_prompt(settings)
    params = defaults.merged(own).merged(overrides)
    blobs: dict[str, bytes] = {}
    history.append(_question(content, attachments, blobs))
    options = options or turn_options(settings)
    choice = effective_provider(settings, name=provider)
    prepared = prepare_turns(
        lambda key: blobs[key] if key in blobs else store.blob(key),
        system,
        history,
        params,
        options,
        provider=None,
    )
    return RequestPreview(
        prepared,
        choice.name,
        choice.base_url.rstrip("/") + "/chat/completions",
        _sources(defaults, own, overrides),
        _window(params.model or "", options),
    )


def _question(
    content: str, attachments: Sequence[Attachment | ImagePart | FilePart], blobs: dict[str, bytes]
) -> Message:
    """The new message as it would be stored (its new files kept in `blobs`, not in the
    store; stored parts, as an edited message keeps them, stay as they are)."""
    parts: list[Part] = [TextPart(content)] if content else []
    for a in attachments:
        if not isinstance(a, Attachment):
            parts.append(a)
            continue
        key = blob_digest(a.data)
        blobs[key] = a.data
        parts.append(attachment_part(a, key))
    return Message(
        MessageId(0), ConversationId(0), None, Role.USER, MessageStatus.COMPLETE, 0.0, 0.0,
        tuple(parts),
    )  # fmt: skip


def _sources(
    defaults: RequestParams, own: RequestParams, overrides: RequestParams
) -> tuple[ParamSource, ...]:
    out = []
    for f in fields(RequestParams):
        for layer, source in ((overrides, THIS_REQUEST), (own, CONVERSATION), (defaults, DEFAULT)):
            value = getattr(layer, f.name)
            if value is not None:
                out.append(ParamSource(f.name, value, source))
                break
    return tuple(out)


def _window(model: str, options: TurnOptions) -> ParamSource | None:
    if not model:
        return None
    known = context_window(model)
    if known is not None:
        return ParamSource("context window", known, MODEL_LIMIT)
    return ParamSource("context window", options.unknown_context_window, SETTING)
