"""The words and text of tool cards: arguments in one line or laid out, durations, statuses, and
results capped to what a widget shows without stalling the window. Qt-free (strings in, out).

A call's arguments and result come from the model and from a tool server: untrusted text. They
are only ever shown as plain text (or as JSON highlighted from escaped text), never as HTML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from kibitz.core.types import ToolCallPart
from kibitz.ui.views.reply_layout import CardState

# What a card shows of a result when opened; "Show all" goes up to SHOWN_ALL_CHARS (tool
# servers cap results for the model at 100,000 characters already; an import may not have).
SHOWN_RESULT_CHARS = 8_000
SHOWN_ALL_CHARS = 300_000
# Arguments are pretty-printed and highlighted up to here; past it shown as sent, cut.
HIGHLIGHT_ARGUMENTS_CHARS = 20_000
SHOWN_ARGUMENTS_CHARS = 200_000
_SUMMARY_CHARS = 240  # the one-line summary, before the card elides it to its width


def tool_label(call: ToolCallPart, title: str | None = None) -> str:
    """The tool's name as people read it: its title when known, else its own name."""
    return title or call.tool or call.name or "(no name)"


def pretty_arguments(text: str) -> str:
    """The arguments laid out over lines (indented JSON); as sent when they are not JSON."""
    if not text.strip():
        return "{}"
    if len(text) > SHOWN_ARGUMENTS_CHARS:
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return json.dumps(value, indent=2, ensure_ascii=False)


def arguments_summary(text: str) -> str:
    """The arguments in one line: `key: "x", limit: 5`; as sent when they are not an object."""
    stripped = text.strip()
    if not stripped:
        return ""
    try:
        value = json.loads(stripped[: _SUMMARY_CHARS * 40])
    except ValueError:
        return _one_line(stripped)
    if not isinstance(value, dict):
        return _one_line(json.dumps(value, ensure_ascii=False))
    pieces = []
    for key, item in value.items():
        pieces.append(f"{key}: {_one_line(json.dumps(item, ensure_ascii=False))}")
        if sum(len(p) for p in pieces) > _SUMMARY_CHARS:
            break
    return _one_line(", ".join(pieces))


def _one_line(text: str) -> str:
    flat = " ".join(text[: _SUMMARY_CHARS * 2].split())
    return flat if len(flat) <= _SUMMARY_CHARS else flat[: _SUMMARY_CHARS - 1] + "…"


def duration_text(seconds: float) -> str:
    """35 ms, 0.4 s, 12 s, 2 min 5 s."""
    if seconds < 0.1:
        return f"{max(1, round(seconds * 1000))} ms"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def status_text(state: CardState, seconds: float | None) -> str:
    """What a card says of its call; `seconds` is how long it ran (or runs so far)."""
    if state is CardState.DONE:
        return f"Done in {duration_text(seconds)}" if seconds is not None else "Done"
    if state is CardState.FAILED:
        return f"Failed after {duration_text(seconds)}" if seconds is not None else "Failed"
    if state is CardState.RUNNING:
        return f"Running… {duration_text(seconds or 0.0)}"
    return {
        CardState.WAITING: "Waiting",
        CardState.ASKING: "Waiting for approval",
        CardState.DECLINED: "Declined",
        CardState.NOT_RUN: "Not run",
    }[state]


@dataclass(frozen=True, slots=True)
class ShownText:
    text: str
    total: int  # characters in the whole text
    cut: bool  # only the first part is shown


def capped(text: str, limit: int) -> ShownText:
    if len(text) <= limit:
        return ShownText(text, len(text), False)
    # Cut at a line end near the limit, so the last line shown is whole.
    end = text.rfind("\n", limit - 2_000, limit)
    return ShownText(text[: end if end > 0 else limit], len(text), True)


def cut_note(shown: ShownText) -> str:
    return f"Showing {len(shown.text):,} of {shown.total:,} characters."
