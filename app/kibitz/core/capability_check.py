""" "Check model": ask a model once plainly, then once with each parameter it might refuse, and
record in the book what it refused (and forget refusals it no longer makes).

Each try is a tiny unstreamed request ("Reply with OK."); a try that fails for another reason
(the network, a rate limit) says so and teaches nothing. A model that refuses even the plain
request is not checked further.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kibitz.core.capabilities import TOOLS, CapabilityBook, refused_parameter
from kibitz.core.chat import ChatClient, Failed, RetryPolicy
from kibitz.core.errors import KibitzError

_PROMPT = "Reply with the single word OK."
# What each try adds to the plain request: a value every server that takes the parameter takes.
TRIES: tuple[tuple[str, Mapping[str, Any]], ...] = (
    ("temperature", {"temperature": 0.5}),
    ("top_p", {"top_p": 0.9}),
    ("seed", {"seed": 1}),
    ("presence_penalty", {"presence_penalty": 0.1}),
    ("frequency_penalty", {"frequency_penalty": 0.1}),
    ("stop", {"stop": ["\n\n\n"]}),
    ("reasoning_effort", {"reasoning_effort": "low"}),
    ("response_format", {"response_format": {"type": "json_object"}}),
    (
        TOOLS,
        {
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "get_time",
                        "description": "The current time.",
                        "parameters": {"type": "object", "properties": {}},
                    },
                }
            ]
        },
    ),
)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What the check found: accepted and refused parameters, and tries that told nothing."""

    model: str
    accepted: tuple[str, ...]
    refused: tuple[str, ...]
    unknown: tuple[tuple[str, str], ...]  # (parameter, why the try failed otherwise)
    failure: KibitzError | None = None  # the plain request failed: nothing was checked

    def summary(self) -> str:
        if self.failure is not None:
            return f"{self.model} could not be checked: {self.failure.headline}."
        parts = []
        if self.refused:
            parts.append(f"refuses {', '.join(self.refused)} (left out from now on)")
        if self.accepted:
            parts.append(f"takes {', '.join(self.accepted)}")
        if self.unknown:
            parts.append(f"could not tell for {', '.join(p for p, _ in self.unknown)}")
        return f"{self.model} " + "; ".join(parts) + "."


async def _try(client: ChatClient, body: dict[str, Any]) -> KibitzError | None:
    """The error the request ended with, or None when it was answered."""
    stream = client.stream(body, retry=RetryPolicy(max_retries=0))
    async with contextlib.aclosing(stream) as events:
        async for event in events:
            if isinstance(event, Failed):
                return event.error
    return None


async def check_model(
    client: ChatClient,
    model: str,
    book: CapabilityBook,
    progress: Callable[[str], None] | None = None,
) -> CheckResult:
    """Try `model` on `client`'s provider with each of TRIES; the book learns what it refused
    and forgets what it took. `progress` hears the name of each parameter as it is tried."""
    plain: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": _PROMPT}],
        "stream": False,
    }
    failure = await _try(client, plain)
    if failure is not None:
        return CheckResult(model, (), (), (), failure)
    provider = client.provider.name
    accepted: list[str] = []
    refused: list[str] = []
    unknown: list[tuple[str, str]] = []
    for param, extra in TRIES:
        if progress is not None:
            progress(param)
        error = await _try(client, {**plain, **extra})
        if error is None:
            accepted.append(param)
            book.forget(provider, model, param)
        elif refused_parameter(error) == param:
            refused.append(param)
            book.learn(provider, model, param, error.detail or error.headline)
        else:
            unknown.append((param, error.headline))
    return CheckResult(model, tuple(accepted), tuple(refused), tuple(unknown))
