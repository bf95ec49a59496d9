"""One round of tool calls inside a turn: the calls the model streamed, joined; each one asked
about (when it must be), run, and its call and result stored in the reply as they happen.

The engine (engine.py) streams a request, hands the calls to `run_round`, and sends the next
request with the results; this module never touches the network of the model server.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kibitz.core.conversation.events import (
    ToolCallFinished,
    ToolCallRunning,
    ToolCallStarted,
    TurnEvent,
)
from kibitz.core.errors import ToolCallError
from kibitz.core.store import ReplyWriter, Store
from kibitz.core.tools import (
    DECLINED_TEXT,
    Approval,
    Approver,
    PendingCall,
    Policy,
    ToolImage,
    ToolRunner,
    ToolSpec,
)
from kibitz.core.types import ImagePart, ToolCallPart, ToolResultPart, ToolStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ToolUse:
    """What a turn needs to offer tools: the servers, who decides, who is asked.

    `policy(spec)` is what the settings say of a tool (kibitz.core.tools.approval.decide);
    `approver` is asked when that is ASK (the window's approval card, the CLI's y/N);
    `always_allow(spec)` keeps "Always allow this tool" (the caller saves the setting).
    """

    runner: ToolRunner
    policy: Callable[[ToolSpec], Policy]
    approver: Approver
    always_allow: Callable[[ToolSpec], None] | None = None


@dataclass
class _PendingCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class CallCollector:
    """Joins the pieces of the calls of choice 0 by their index, in the order they began."""

    def __init__(self) -> None:
        self._calls: dict[int, _PendingCall] = {}

    def add(self, call_index: int, call_id: str | None, name: str | None, piece: str) -> None:
        call = self._calls.setdefault(call_index, _PendingCall())
        if call_id and not call.id:
            call.id = call_id
        if name and not call.name:
            call.name = name
        if piece:
            call.arguments.append(piece)

    def __bool__(self) -> bool:
        return bool(self._calls)

    def calls(self, round_number: int) -> list[ToolCallPart]:
        """The calls, each with an id (made up when the server sent none: Ollama, some
        llama.cpp builds) so its result can name it."""
        out = []
        for index, call in sorted(self._calls.items()):
            call_id = call.id or f"call_r{round_number}_{index}"
            out.append(ToolCallPart(call_id, call.name, "".join(call.arguments)))
        return out


def _arguments(text: str) -> Mapping[str, Any]:
    """The call's arguments; ValueError (said to the model) when they are not a JSON object."""
    if not text.strip():
        return {}
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"the arguments must be a JSON object, not {type(value).__name__}")
    return value


async def run_round(
    store: Store,
    writer: ReplyWriter,
    calls: Sequence[ToolCallPart],
    specs: Sequence[ToolSpec],
    tools: ToolUse,
) -> AsyncGenerator[TurnEvent, None]:
    """Store the calls of one response together (as the model made them: parallel calls stay
    one assistant message when sent back), then approve and run them one after the other,
    storing each result as it comes.

    A cancel (Esc) cancels the running call and leaves what is stored; the engine marks the
    reply interrupted, and a call left without a result is sent later as "not run".
    """
    by_function = {s.function: s for s in specs}
    message_id = writer.message_id
    started: list[tuple[ToolCallPart, ToolSpec | None]] = []
    for call in calls:
        spec = by_function.get(call.name)
        stored = ToolCallPart(
            call.id,
            call.name,
            call.arguments,
            server=spec.server if spec else None,
            tool=spec.name if spec else None,
        )
        writer.add_part(stored)
        started.append((stored, spec))
        yield ToolCallStarted(message_id, stored, spec)
    for stored, spec in started:
        verdict = await _verdict(stored, spec, tools)
        images: list[ImagePart] = []
        if isinstance(verdict, ToolResultPart):
            result = verdict
        else:
            assert spec is not None  # a verdict to run names a tool
            yield ToolCallRunning(message_id, stored.id)
            result, images = await _run(store, stored, spec, verdict, tools)
        writer.add_part(result)
        for image in images:
            writer.add_part(image)
        yield ToolCallFinished(message_id, stored, result)


async def _verdict(
    call: ToolCallPart, spec: ToolSpec | None, tools: ToolUse
) -> Mapping[str, Any] | ToolResultPart:
    """The arguments to run the call with, or the result that says why it does not run."""
    if spec is None:
        named = call.name or "(no name)"
        return _failed(call, f"There is no tool named {named}. Use one of the tools offered.")
    try:
        arguments = _arguments(call.arguments)
    except ValueError as exc:
        return _failed(call, f"The arguments are not valid JSON ({exc}); the call was not run.")
    if not await _allowed(call, spec, arguments, tools):
        return ToolResultPart(call.id, DECLINED_TEXT, True, ToolStatus.DENIED)
    return arguments


async def _allowed(
    call: ToolCallPart, spec: ToolSpec, arguments: Mapping[str, Any], tools: ToolUse
) -> bool:
    policy = tools.policy(spec)
    if policy is Policy.NEVER:
        return False
    if policy is Policy.ALLOW:
        return True
    answer = await tools.approver(PendingCall(call.id, spec, arguments, call.arguments))
    if answer is Approval.ALWAYS_ALLOW and tools.always_allow is not None:
        tools.always_allow(spec)
    return answer is not Approval.DENY


async def _run(
    store: Store,
    call: ToolCallPart,
    spec: ToolSpec,
    arguments: Mapping[str, Any],
    tools: ToolUse,
) -> tuple[ToolResultPart, list[ImagePart]]:
    started = time.monotonic()
    try:
        output = await tools.runner.call(spec, arguments)
    except ToolCallError as exc:
        seconds = round(time.monotonic() - started, 3)
        text = " ".join(exc.lines()[:1])
        return ToolResultPart(call.id, text, True, ToolStatus.ERROR, seconds), []
    seconds = round(time.monotonic() - started, 3)
    status = ToolStatus.ERROR if output.is_error else ToolStatus.OK
    result = ToolResultPart(call.id, output.text, output.is_error, status, seconds)
    return result, [_stored_image(store, call, i, image) for i, image in enumerate(output.images)]


def _stored_image(store: Store, call: ToolCallPart, number: int, image: ToolImage) -> ImagePart:
    """A tool's image, kept as an image part after its result (shown, never fetched)."""
    from kibitz.core.attachments.images import image_size
    from kibitz.core.errors import AttachmentError

    width: int | None
    height: int | None
    try:
        width, height = image_size(image.data)
    except AttachmentError:
        width = height = None
    extension = image.mime_type.rsplit("/", 1)[-1]
    name = f"{call.name or 'tool'}-{number + 1}.{extension}"
    return ImagePart(
        store.put_blob(image.data), name, image.mime_type, len(image.data), width, height
    )


def _failed(call: ToolCallPart, text: str) -> ToolResultPart:
    return ToolResultPart(call.id, text, True, ToolStatus.ERROR)
