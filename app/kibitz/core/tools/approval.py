"""Whether a call runs without asking: the user's policies, then what the tool declares.

Order: the tool's own policy, else its server's. `never` wins over everything. A tool that
declares itself destructive (`destructiveHint`) always asks, even on a trusted server. A tool
that declares itself read-only (`readOnlyHint`) runs without asking when the user allowed
read-only tools, unless that tool's own policy says ask. Everything else asks.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from kibitz.core import errors
from kibitz.core.settings.schema import McpServer, Settings, ToolsSettings
from kibitz.core.tools import Policy, ToolSpec


def decide(spec: ToolSpec, server: McpServer, tools: ToolsSettings) -> Policy:
    """The policy for one call of `spec` on `server` (whose settings it must be)."""
    own = server.tool_policies.get(spec.name)
    policy = Policy(own or server.policy)
    if policy is Policy.NEVER:
        return Policy.NEVER
    if spec.destructive:
        return Policy.ASK
    if policy is Policy.ALLOW:
        return Policy.ALLOW
    if spec.read_only and tools.allow_read_only and own is None:
        return Policy.ALLOW
    return Policy.ASK


def can_always_allow(spec: ToolSpec) -> bool:
    """Whether "Always allow this tool" means anything: a destructive tool asks regardless,
    so an approval card should not offer it there."""
    return not spec.destructive


def remember_always_allow(settings: Settings, spec: ToolSpec) -> Settings:
    """Settings in which `spec`'s tool runs without asking (the answer "Always allow")."""
    return with_tool_policy(settings, spec, Policy.ALLOW)


def with_tool_policy(settings: Settings, spec: ToolSpec, policy: Policy | None) -> Settings:
    """Settings with this tool's own policy set, or cleared with None (its server's applies)."""
    server = settings.tools.server(spec.server)
    if server is None:
        raise errors.InvalidValueError(
            f"there is no tool server named {spec.server!r}",
            hint="It may have been removed; add it again in Settings → Tools.",
        )
    policies = {k: v for k, v in server.tool_policies.items() if k != spec.name}
    if policy is not None:
        policies[spec.name] = policy.value
    updated = dataclasses.replace(server, tool_policies=MappingProxyType(policies))
    return settings.with_server(updated)
