"""The hotkey protocol: combinations (parse, normalise, show), status, and the back-end shape.

Qt-free on purpose: the settings field validates with `normalize_hotkey`, and each back end
translates a `Combination` with the key table here, so the per-platform code stays small.
A combination names physical keys on every platform: `ctrl` is the Control key, `alt` is
Alt/Option, `super` is the Windows key or Command (⌘).
"""

from __future__ import annotations

import enum
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

MODIFIERS = ("ctrl", "alt", "shift", "super")  # the canonical order
_MODIFIER_ALIASES = {
    "ctrl": "ctrl", "control": "ctrl", "ctl": "ctrl",
    "alt": "alt", "option": "alt", "opt": "alt",
    "shift": "shift",
    "super": "super", "meta": "super", "win": "super", "windows": "super",
    "cmd": "super", "command": "super", "logo": "super",
}  # fmt: skip
_MODIFIER_LABELS = {"ctrl": "Ctrl", "alt": "Alt", "shift": "Shift", "super": "Super"}


class KeyCodes(NamedTuple):
    """One key on each platform: X11 keysym name, Windows virtual key, macOS virtual keycode."""

    x11: str
    windows: int
    macos: int


# macOS ANSI keycodes (Carbon Events.h kVK_*) for letters and digits: not alphabetical.
_MAC_LETTERS = dict(zip("asdfhgzxcv", range(0x0A), strict=True)) | {
    "b": 0x0B, "q": 0x0C, "w": 0x0D, "e": 0x0E, "r": 0x0F, "y": 0x10, "t": 0x11,
    "o": 0x1F, "u": 0x20, "i": 0x22, "p": 0x23, "l": 0x25, "j": 0x26, "k": 0x28,
    "n": 0x2D, "m": 0x2E,
}  # fmt: skip
_MAC_DIGITS = {
    "1": 0x12, "2": 0x13, "3": 0x14, "4": 0x15, "6": 0x16, "5": 0x17,
    "9": 0x19, "7": 0x1A, "8": 0x1C, "0": 0x1D,
}  # fmt: skip
_MAC_FKEYS = (0x7A, 0x78, 0x63, 0x76, 0x60, 0x61, 0x62, 0x64, 0x65, 0x6D, 0x67, 0x6F)

KEYS: dict[str, KeyCodes] = {
    **{c: KeyCodes(c, ord(c.upper()), _MAC_LETTERS[c]) for c in string.ascii_lowercase},
    **{d: KeyCodes(d, ord(d), _MAC_DIGITS[d]) for d in string.digits},
    **{f"f{n}": KeyCodes(f"F{n}", 0x6F + n, _MAC_FKEYS[n - 1]) for n in range(1, 13)},
    "space": KeyCodes("space", 0x20, 0x31),
    "return": KeyCodes("Return", 0x0D, 0x24),
    "tab": KeyCodes("Tab", 0x09, 0x30),
    "escape": KeyCodes("Escape", 0x1B, 0x35),
    "backspace": KeyCodes("BackSpace", 0x08, 0x33),
    "delete": KeyCodes("Delete", 0x2E, 0x75),
    "insert": KeyCodes("Insert", 0x2D, 0x72),
    "home": KeyCodes("Home", 0x24, 0x73),
    "end": KeyCodes("End", 0x23, 0x77),
    "pageup": KeyCodes("Prior", 0x21, 0x74),
    "pagedown": KeyCodes("Next", 0x22, 0x79),
    "left": KeyCodes("Left", 0x25, 0x7B),
    "up": KeyCodes("Up", 0x26, 0x7E),
    "right": KeyCodes("Right", 0x27, 0x7C),
    "down": KeyCodes("Down", 0x28, 0x7D),
    # Punctuation where a US keyboard has it (Windows VK_OEM_*, macOS kVK_ANSI_*).
    "minus": KeyCodes("minus", 0xBD, 0x1B),
    "equal": KeyCodes("equal", 0xBB, 0x18),
    "comma": KeyCodes("comma", 0xBC, 0x2B),
    "period": KeyCodes("period", 0xBE, 0x2F),
    "slash": KeyCodes("slash", 0xBF, 0x2C),
    "semicolon": KeyCodes("semicolon", 0xBA, 0x29),
    "apostrophe": KeyCodes("apostrophe", 0xDE, 0x27),
    "grave": KeyCodes("grave", 0xC0, 0x32),
    "bracketleft": KeyCodes("bracketleft", 0xDB, 0x21),
    "bracketright": KeyCodes("bracketright", 0xDD, 0x1E),
    "backslash": KeyCodes("backslash", 0xDC, 0x2A),
}
_KEY_ALIASES = {
    "enter": "return", "esc": "escape", "del": "delete", "ins": "insert",
    "pgup": "pageup", "page_up": "pageup", "pgdown": "pagedown", "pgdn": "pagedown",
    "page_down": "pagedown", "spacebar": "space", "equals": "equal", "backquote": "grave",
    "-": "minus", "=": "equal", ",": "comma", ".": "period", "/": "slash", ";": "semicolon",
    "'": "apostrophe", "`": "grave", "[": "bracketleft", "]": "bracketright", "\\": "backslash",
}  # fmt: skip
_KEY_LABELS = {
    "pageup": "PgUp", "pagedown": "PgDown", "escape": "Esc", "return": "Enter",
    "minus": "-", "equal": "=", "comma": ",", "period": ".", "slash": "/", "semicolon": ";",
    "apostrophe": "'", "grave": "`", "bracketleft": "[", "bracketright": "]", "backslash": "\\",
}  # fmt: skip


class InvalidHotkeyError(ValueError):
    """A combination Kibitz cannot grab; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class Combination:
    """Modifiers (canonical order, no repeats) plus one key from KEYS."""

    modifiers: tuple[str, ...]
    key: str

    @property
    def text(self) -> str:
        """The normalised form kept in settings: "ctrl+alt+space"."""
        return "+".join((*self.modifiers, self.key))

    @property
    def label(self) -> str:
        """How people read it: "Ctrl+Alt+Space"."""
        key = _KEY_LABELS.get(self.key) or self.key.capitalize()
        return "+".join((*(_MODIFIER_LABELS[m] for m in self.modifiers), key))

    @property
    def codes(self) -> KeyCodes:
        return KEYS[self.key]


def parse_combination(text: str) -> Combination:
    """Read "Ctrl+Alt+Space", "ctrl+alt+space", "Meta+K"...; InvalidHotkeyError if unusable."""
    shown = text.strip()
    # "ctrl++" can't be told apart from a typo: "+" is the separator, never a key.
    parts = [p.strip().lower() for p in shown.split("+")]
    if not shown or any(not p for p in parts):
        raise InvalidHotkeyError(f"“{shown}” is not a key combination, like Ctrl+Alt+Space")
    *mods, last = parts
    modifiers: set[str] = set()
    for part in mods:
        name = _MODIFIER_ALIASES.get(part)
        if name is None:
            raise InvalidHotkeyError(
                f"“{part}” is not a modifier: use Ctrl, Alt, Shift or Super, then one key"
            )
        if name in modifiers:
            raise InvalidHotkeyError(f"{_MODIFIER_LABELS[name]} is named twice in “{shown}”")
        modifiers.add(name)
    if last in _MODIFIER_ALIASES:
        raise InvalidHotkeyError(f"“{shown}” has no key after its modifiers")
    key = _KEY_ALIASES.get(last, last)
    if key not in KEYS:
        raise InvalidHotkeyError(
            f"“{last}” is not a key Kibitz can use: letters, digits, F1–F12, Space, Enter, "
            "Tab, arrows, Home/End, PgUp/PgDown, Insert/Delete and punctuation"
        )
    ordered = tuple(m for m in MODIFIERS if m in modifiers)
    combination = Combination(ordered, key)
    if not modifiers - {"shift"} and not (key.startswith("f") and key[1:].isdigit()):
        # A global grab of a plain key would take it away from every application.
        raise InvalidHotkeyError(
            f"{combination.label} would take that key from every application: "
            "add Ctrl, Alt or Super"
        )
    return combination


def normalize_hotkey(text: str) -> str:
    """The form to store: "" (off) stays "", else "ctrl+alt+space"; InvalidHotkeyError."""
    return parse_combination(text).text if text.strip() else ""


class HotkeyState(enum.StrEnum):
    ACTIVE = "active"
    PENDING = "pending"  # asked the desktop (the Wayland portal); no answer yet
    UNAVAILABLE = "unavailable"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class HotkeyStatus:
    state: HotkeyState
    combination: str = ""  # the label, "Ctrl+Alt+Space"; "" when off
    reason: str = ""  # plain words when unavailable or pending

    def describe(self) -> str:
        """One line for the settings page and the tray's tooltip."""
        if self.state is HotkeyState.ACTIVE:
            return f"Active: {self.combination}"
        if self.state is HotkeyState.PENDING:
            return f"Waiting for the desktop to allow {self.combination}"
        if self.state is HotkeyState.OFF:
            return "Off: no global hotkey is set"
        return f"Unavailable: {self.reason}"


class HotkeyUnavailableError(Exception):
    """The platform refused the combination; str() is the reason in plain words."""


OnActivated = Callable[[], None]
OnFailed = Callable[[str], None]
OnConfirmed = Callable[[], None]


class HotkeyBackend(Protocol):
    """One platform's grab. `grab` raises HotkeyUnavailableError for a refusal it knows at
    once. An asynchronous back end (the portal) returns at once and answers later through
    `on_confirmed` or `on_failed`; `on_failed` also reports losing a grab that worked.
    Every callback runs on the Qt main thread."""

    name: str
    asynchronous: bool

    def grab(self, combination: Combination) -> None: ...

    def release(self) -> None: ...
