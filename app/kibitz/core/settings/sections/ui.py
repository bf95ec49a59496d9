"""The [ui] section: how the window looks and is driven."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from kibitz.core.settings.fields import meta, validate_section

Theme = Literal["system", "light", "dark"]
SendKey = Literal["enter", "ctrl+enter"]
QuickAskPrefill = Literal["none", "clipboard", "selection"]


@dataclass(frozen=True, slots=True)
class UiSettings:
    SECTION: ClassVar[str] = "ui"

    theme: Theme = field(default="system", metadata=meta("Colour theme."))
    font_size: int | None = field(
        default=None, metadata=meta("Text size of the conversation.", min=6, max=72, unit="points")
    )
    send_key: SendKey = field(
        default="enter", metadata=meta("Which key sends; the other one starts a new line.")
    )
    close_to_tray: bool = field(
        default=False, metadata=meta("Closing the window keeps Kibitz running in the tray.")
    )
    hotkey: str = field(
        default="ctrl+alt+space",
        metadata=meta("Global shortcut for the quick-ask window; empty turns it off."),
    )
    quick_ask_prefill: QuickAskPrefill = field(
        default="none",
        metadata=meta(
            "Fill the quick-ask input from the clipboard or the selected text when it opens."
        ),
    )
    start_at_login: bool = field(
        default=False, metadata=meta("Start Kibitz in the tray when you log in.")
    )
    render_math: bool = field(default=True, metadata=meta("Render LaTeX math in messages."))

    def __post_init__(self) -> None:
        validate_section(self)
