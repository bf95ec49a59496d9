"""Function names for tools: unique across the enabled servers, in the API's alphabet."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

# The chat-completions API's rule for a function name.
FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_MAX = 64
_OUTSIDE = re.compile(r"[^a-zA-Z0-9_-]")

ToolKey = tuple[str, str]  # (server name, tool name on that server)


def function_names(tools: Iterable[ToolKey]) -> dict[ToolKey, str]:
    """The name the model calls each tool by, for tools in offer order.

    A tool keeps its own name when no other server has one like it, else it becomes
    `<server>__<tool>`; characters outside the alphabet become `_`, and a name that is still
    too long, or taken, ends in a stable hash of server and tool, so it is the same every time.
    """
    keys = list(dict.fromkeys(tools))
    counts = Counter(_clean(name) for _, name in keys)
    names: dict[ToolKey, str] = {}
    taken: set[str] = set()
    for key in keys:
        server, tool = key
        wanted = _clean(tool) if counts[_clean(tool)] == 1 else f"{_clean(server)}__{_clean(tool)}"
        name = wanted if len(wanted) <= _MAX else _hashed(wanted, key)
        if name in taken:
            name = _hashed(wanted, key)
        names[key] = name
        taken.add(name)
    return names


def _clean(name: str) -> str:
    return _OUTSIDE.sub("_", name) or "_"


def _hashed(name: str, key: ToolKey) -> str:
    digest = hashlib.sha256("\0".join(key).encode()).hexdigest()[:8]
    return f"{name[: _MAX - 9]}_{digest}"
