"""`kibitz ask --tools`: the tools of every enabled MCP server, each call shown on stderr and
asked y/N on a terminal; `--approve TOOL` (or '*') runs calls without asking. Without an
approval and without a terminal a call is not run, and the model is told the user declined.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from kibitz.cli.commands import say
from kibitz.core.tools import Approval, PendingCall, Policy, ToolSpec
from kibitz.core.types import ToolCallPart, ToolResultPart, ToolStatus

if TYPE_CHECKING:
    from kibitz.core.conversation.tool_calls import ToolUse
    from kibitz.core.secrets import SecretStore
    from kibitz.core.settings import Settings
    from kibitz.core.tools.mcp import ToolHub

_SHOWN_ARGUMENTS = 400  # characters of a call's arguments shown on stderr


def approved_by_flag(spec: ToolSpec, approvals: Sequence[str]) -> bool:
    """Whether --approve names this tool: '*', its function name, its own name, or
    SERVER/TOOL."""
    names = {spec.function, spec.name, f"{spec.server}/{spec.name}"}
    return any(a == "*" or a in names for a in approvals)


def describe_call(spec: ToolSpec | None, call: ToolCallPart) -> str:
    """`server/tool {"arguments": ...}`, the arguments cut to a readable length."""
    who = f"{spec.server}/{spec.name}" if spec is not None else call.name or "(no name)"
    arguments = call.arguments.strip() or "{}"
    with contextlib.suppress(ValueError):  # else shown as the model sent it
        arguments = json.dumps(json.loads(arguments), ensure_ascii=False)
    if len(arguments) > _SHOWN_ARGUMENTS:
        arguments = arguments[: _SHOWN_ARGUMENTS - 1] + "…"
    return f"{who} {arguments}"


def describe_result(result: ToolResultPart) -> str:
    took = f" in {result.seconds:.2f} s" if result.seconds is not None else ""
    if result.status is ToolStatus.DENIED:
        return "not run (declined)"
    first = result.content.strip().splitlines()[0] if result.content.strip() else ""
    if len(first) > 120:
        first = first[:119] + "…"
    if result.status is ToolStatus.ERROR:
        return f"failed{took}: {first}"
    return f"done{took}" + (f": {first}" if first else "")


@dataclass
class TerminalApprover:
    """Asks y/N on the terminal when there is one; declines otherwise."""

    read_line: Callable[[], str] | None = None  # None: no terminal to ask on
    out: TextIO = sys.stderr

    async def __call__(self, pending: PendingCall) -> Approval:
        # --approve was applied by the policy already: what reaches here needs an answer.
        if self.read_line is None:
            say(
                f"not running {pending.spec.server}/{pending.spec.name}: no approval",
                "Approve it with --approve TOOL (or --approve '*'), or run on a terminal "
                "to be asked.",
            )
            return Approval.DENY
        hint = " (it declares itself destructive)" if pending.spec.destructive else ""
        print(
            f"kibitz: run {pending.spec.server}/{pending.spec.name}{hint}? [y/N] ",
            end="",
            file=self.out,
            flush=True,
        )
        answer = self.read_line().strip().lower()
        return Approval.ALLOW_ONCE if answer in ("y", "yes") else Approval.DENY


def terminal_reader() -> Callable[[], str] | None:
    """input() when stdin is a terminal (the question did not come through a pipe)."""
    if sys.stdin is None or not sys.stdin.isatty():
        return None

    def read() -> str:
        try:
            return input()
        except EOFError:
            return ""

    return read


def tool_use(
    settings: Settings, secrets: SecretStore, approvals: Sequence[str]
) -> tuple[ToolHub, ToolUse]:
    """The hub over the enabled servers and what the engine needs to use it."""
    from kibitz.core.conversation.tool_calls import ToolUse
    from kibitz.core.tools.approval import decide
    from kibitz.core.tools.mcp import ToolHub

    hub = ToolHub(settings.tools, secrets)
    servers = {s.name: s for s in settings.tools.servers}

    def policy(spec: ToolSpec) -> Policy:
        server = servers.get(spec.server)
        if server is None:
            return Policy.ASK
        decided = decide(spec, server, settings.tools)
        # --approve is the user's own answer, given ahead: it stands for "yes" to ASK.
        if decided is Policy.ASK and approved_by_flag(spec, approvals):
            return Policy.ALLOW
        return decided

    approver = TerminalApprover(terminal_reader())
    return hub, ToolUse(hub, policy, approver)
