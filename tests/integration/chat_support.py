"""Helpers for the chat integration tests: the test key, fast retries, a stream result view;
and for the conversation engine's: turn options and settings that point at the fake server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from kibitz.core.chat import (
    Delta,
    Failed,
    Finished,
    Retrying,
    RetryPolicy,
    Started,
    StreamEvent,
    ToolCallDelta,
    UsageReport,
)
from kibitz.core.conversation.prepare import TurnOptions
from kibitz.core.errors import KibitzError
from kibitz.core.settings import ProviderProfile, Settings
from kibitz.core.types import Usage
from tests.support.fake_openai import FakeOpenAI

TEST_KEY = "sk-test-0123456789abcdefghijklmn"
# Retries in tests: no jitter and tiny pauses, so a test can assert the exact delay.
FAST_RETRY = RetryPolicy(max_retries=3, base_delay=0.02, max_delay=0.1, jitter=0.0)
# Engine turns in tests: a stall fails soon, and a failure is not retried.
OPTIONS = TurnOptions(stall_timeout=5.0, max_retries=0)


def settings_for(fake: FakeOpenAI, kind: str = "custom", model: str = "gpt-4o-mini") -> Settings:
    return (
        Settings()
        .with_value("defaults.model", model)
        .with_value("chat.auto_title", False)
        .with_profile(ProviderProfile("fake", kind=kind, base_url=fake.url))  # type: ignore[arg-type]
        .with_value("providers.active", "fake")
    )


@dataclass
class StreamResult:
    """Everything one stream yielded, with the views tests ask for."""

    events: list[StreamEvent] = field(default_factory=list)

    def text(self, index: int = 0) -> str:
        return "".join(e.text for e in self.events if isinstance(e, Delta) and e.index == index)

    def calls(self, index: int = 0) -> list[tuple[str | None, str | None, str]]:
        """Choice `index`'s tool calls joined as a consumer joins them: (id, name, arguments)."""
        joined: dict[int, tuple[str | None, str | None, str]] = {}
        for e in self.events:
            if isinstance(e, ToolCallDelta) and e.index == index:
                call_id, name, arguments = joined.get(e.call_index, (None, None, ""))
                joined[e.call_index] = (call_id or e.id, name or e.name, arguments + e.arguments)
        return [joined[i] for i in sorted(joined)]

    @property
    def failure(self) -> KibitzError | None:
        last = self.events[-1] if self.events else None
        return last.error if isinstance(last, Failed) else None

    @property
    def retries(self) -> list[Retrying]:
        return [e for e in self.events if isinstance(e, Retrying)]

    @property
    def started(self) -> list[Started]:
        return [e for e in self.events if isinstance(e, Started)]

    @property
    def finished(self) -> dict[int, str | None]:
        return {e.index: e.reason for e in self.events if isinstance(e, Finished)}

    @property
    def usage(self) -> Usage | None:
        reports = [e.usage for e in self.events if isinstance(e, UsageReport)]
        assert len(reports) <= 1, "at most one UsageReport per stream"
        return reports[0] if reports else None


Runner = Callable[..., Awaitable[StreamResult]]
