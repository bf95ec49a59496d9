"""Markdown code fences: wrapping text in a fence it cannot close, closing one left open."""

from __future__ import annotations

import re

# A fence line: any indentation (fences inside list items are indented), then three or more
# backticks or tildes. CommonMark allows at most three spaces outside a container; being
# lenient here only matters for text that is not going to be parsed as a fence anyway.
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
_BACKTICKS = re.compile(r"`+")


def fence_for(text: str) -> str:
    """A backtick fence longer than any run of backticks in `text` (at least three)."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    return "`" * max(3, longest + 1)


def fenced(text: str, info: str = "") -> str:
    """`text` as a fenced code block that shows it verbatim, whatever fences it holds."""
    fence = fence_for(text)
    body = text if text.endswith("\n") or not text else text + "\n"
    # A backtick fence's info string may not hold backticks.
    return f"{fence}{info.replace('`', '')}\n{body}{fence}"


def open_fence(text: str) -> tuple[str, str] | None:
    """The (indentation, fence) of a code block `text` leaves open at its end, if any."""
    opened: tuple[str, str] | None = None
    for line in text.splitlines():
        match = _FENCE.match(line)
        if match is None:
            continue
        indent, fence, rest = match.groups()
        if opened is None:
            if fence[0] == "`" and "`" in rest:
                continue  # inline code such as ```x```, not a fence
            opened = (indent, fence)
        elif fence[0] == opened[1][0] and len(fence) >= len(opened[1]) and not rest.strip():
            opened = None
    return opened


def close_open_fence(text: str) -> str:
    """`text`, with a closing fence added if it ends inside a code block.

    A reply cut off mid-code would otherwise turn everything after it in the document
    into code. The closing fence gets the opening one's indentation, so a fence inside a
    list item is closed inside that item.
    """
    opened = open_fence(text)
    if opened is None:
        return text
    indent, fence = opened
    return f"{text.rstrip(chr(10))}\n{indent}{fence}"
