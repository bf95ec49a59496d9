"""The check that a message with attachments can be sent whole, before anything is stored."""

from __future__ import annotations

from collections.abc import Sequence

from kibitz.core.attachments import Attachment, AttachmentKind
from kibitz.core.conversation import context
from kibitz.core.conversation.prepare import TurnOptions
from kibitz.core.errors import Action, AttachmentError, ContextTooLongError, KibitzError
from kibitz.core.types import FilePart, ImagePart, Part, RequestParams, text_of


def _cost(item: Attachment | ImagePart | FilePart, model: str) -> int:
    from kibitz.core.attachments.images import estimate_image_tokens
    from kibitz.core.attachments.wire import file_block

    if isinstance(item, Attachment):
        if item.kind is AttachmentKind.IMAGE:
            return estimate_image_tokens(item.width or 1024, item.height or 1024)
        return context.count_tokens(file_block(item.name, item.text or ""), model)
    if isinstance(item, ImagePart):
        return estimate_image_tokens(item.width or 1024, item.height or 1024)
    return context.count_tokens(file_block(item.name, item.text or ""), model)


def check_fits(
    text: Sequence[Part],
    attachments: Sequence[Attachment | ImagePart | FilePart],
    params: RequestParams,
    options: TurnOptions,
) -> None:
    """Raise AttachmentError, naming the biggest file, when the message alone would not fit the
    model's window with room for the reply (counted with the offline tokenizer)."""
    model = (params.model or "").strip()
    if not model or not attachments:
        return
    window = context.effective_window(model, options.unknown_context_window)
    if options.max_prompt_tokens is not None:
        window = min(window, options.max_prompt_tokens)
    reserve = min(options.reserve_tokens, params.max_tokens or options.reserve_tokens)
    costs = [(_cost(a, model), a) for a in attachments]
    total = context.count_tokens(text_of(text), model) + sum(c for c, _ in costs)
    room = window - reserve - context.REPLY_PRIMING_TOKENS - context.TOKENS_PER_MESSAGE
    if total <= room:
        return
    biggest_cost, biggest = max(costs, key=lambda pair: pair[0])
    names = "these files" if len(costs) > 1 and biggest_cost < room else biggest.name
    raise AttachmentError(
        f"about {total:,} tokens with {names}; {model} takes {window:,}, "
        f"{reserve:,} of them kept for the reply",
        headline=f"{biggest.name} is too big for this model"
        if biggest_cost > room
        else "These attachments are too big for this model together",
        hint="Attach a shorter part of it, or pick a model with a larger context window.",
        path=biggest.name,
    )


def explain_too_long(error: KibitzError, question: Sequence[Part]) -> KibitzError:
    """A server's "too long" for a question carrying files names them: trimming older messages
    cannot help when the files alone overflow a window smaller than Kibitz assumed (a local
    server started with a small context)."""
    if not isinstance(error, ContextTooLongError):
        return error
    files = [p.name for p in question if isinstance(p, FilePart | ImagePart)]
    if not files:
        return error
    named = files[0] if len(files) == 1 else f"{len(files)} attached files"
    explained = ContextTooLongError(
        error.detail,
        headline=f"The question with {named} is too long for this model",
        hint="Attach a shorter part of the file, pick a model with a larger context window, "
        "or start the local server with a larger context (llama.cpp: --ctx-size).",
        status=error.status,
    )
    explained.action = Action.CHOOSE_MODEL
    return explained


def attachment_part(attachment: Attachment, blob: str) -> ImagePart | FilePart:
    """The part a message holds for `attachment`, its bytes stored under `blob`."""
    if attachment.kind is AttachmentKind.IMAGE:
        return ImagePart(
            blob,
            attachment.name,
            attachment.mime_type,
            attachment.size,
            attachment.width,
            attachment.height,
        )
    return FilePart(blob, attachment.name, attachment.mime_type, attachment.size, attachment.text)
