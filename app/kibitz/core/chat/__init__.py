"""The streaming chat engine: request building, typed stream events, retries, error mapping.

Typical use::

    request = build_request(branch, params, system_prompt=conversation.system_prompt)
    async with ChatClient(provider) as client:
        async with contextlib.aclosing(client.stream(request)) as events:
            async for event in events:
                ...  # Started, Delta, ReasoningDelta, ToolCallDelta, Finished, UsageReport, ...

Importing this package does not import openai; the first request does.
"""

from .client import DEFAULT_STALL_TIMEOUT, ChatClient, preload, stream_chat
from .error_mapping import error_fields, error_from_response, map_exception, redact
from .events import (
    AnswerWasReasoning,
    Delta,
    Failed,
    Finished,
    ReasoningDelta,
    Retrying,
    Started,
    StreamEvent,
    ToolCallDelta,
    UsageReport,
)
from .provider import ProviderConfig
from .request import ChatTurn, TurnLike, build_request
from .retry import RetryPolicy, parse_retry_after

__all__ = [
    "DEFAULT_STALL_TIMEOUT",
    "AnswerWasReasoning",
    "ChatClient",
    "ChatTurn",
    "Delta",
    "Failed",
    "Finished",
    "ProviderConfig",
    "ReasoningDelta",
    "RetryPolicy",
    "Retrying",
    "Started",
    "StreamEvent",
    "ToolCallDelta",
    "TurnLike",
    "UsageReport",
    "build_request",
    "error_fields",
    "error_from_response",
    "map_exception",
    "parse_retry_after",
    "preload",
    "redact",
    "stream_chat",
]
