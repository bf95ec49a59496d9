"""Hotkey combinations: what the settings field accepts, how it is stored and shown, and the
key table every back end translates from."""

from __future__ import annotations

import pytest

from kibitz.core.settings import Settings
from kibitz.ui.hotkey.protocol import (
    KEYS,
    HotkeyState,
    HotkeyStatus,
    InvalidHotkeyError,
    normalize_hotkey,
    parse_combination,
)


@pytest.mark.parametrize(
    ("typed", "stored", "label"),
    [
        ("ctrl+alt+space", "ctrl+alt+space", "Ctrl+Alt+Space"),
        ("Ctrl+Alt+Space", "ctrl+alt+space", "Ctrl+Alt+Space"),  # QKeySequence's text
        (" alt + ctrl + SPACE ", "ctrl+alt+space", "Ctrl+Alt+Space"),  # canonical order
        ("Meta+K", "super+k", "Super+K"),
        ("cmd+shift+p", "shift+super+p", "Shift+Super+P"),
        ("Control+Option+Enter", "ctrl+alt+return", "Ctrl+Alt+Enter"),
        ("ctrl+shift+F5", "ctrl+shift+f5", "Ctrl+Shift+F5"),
        ("alt+,", "alt+comma", "Alt+,"),
        ("ctrl+alt+pgup", "ctrl+alt+pageup", "Ctrl+Alt+PgUp"),
        ("F9", "f9", "F9"),  # a function key alone is allowed
    ],
)
def test_accepted_combinations_are_normalised(typed: str, stored: str, label: str) -> None:
    combination = parse_combination(typed)
    assert combination.text == stored
    assert combination.label == label
    assert normalize_hotkey(typed) == stored
    assert parse_combination(stored) == combination  # the stored form reads back the same


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("k", "would take that key from every application"),
        ("shift+a", "add Ctrl, Alt or Super"),
        ("ctrl+", "is not a key combination"),
        ("+", "is not a key combination"),
        ("ctrl+alt", "has no key after its modifiers"),
        ("ctrl+ctrl+a", "Ctrl is named twice"),
        ("hyper+a", "“hyper” is not a modifier"),
        ("ctrl+alt+f13", "“f13” is not a key Kibitz can use"),
        ("ctrl+é", "is not a key Kibitz can use"),
    ],
)
def test_unusable_combinations_say_why(typed: str, says: str) -> None:
    with pytest.raises(InvalidHotkeyError, match=says):
        parse_combination(typed)


def test_empty_means_off() -> None:
    assert normalize_hotkey("") == ""
    assert normalize_hotkey("   ") == ""


def test_the_default_setting_parses() -> None:
    assert parse_combination(Settings().ui.hotkey).label == "Ctrl+Alt+Space"


def test_key_table_has_distinct_codes_per_platform() -> None:
    # Two names on one physical key would make a grab ambiguous on that platform.
    for platform in ("x11", "windows", "macos"):
        codes = [getattr(k, platform) for k in KEYS.values()]
        assert len(set(codes)) == len(codes), platform
    assert KEYS["space"] == ("space", 0x20, 0x31)  # VK_SPACE, kVK_Space
    assert (KEYS["a"].windows, KEYS["a"].macos) == (ord("A"), 0x00)  # kVK_ANSI_A
    assert (KEYS["f1"].windows, KEYS["f12"].windows) == (0x70, 0x7B)  # VK_F1, VK_F12
    assert (KEYS["f1"].macos, KEYS["f12"].macos) == (0x7A, 0x6F)  # kVK_F1, kVK_F12


def test_status_reads_as_plain_words() -> None:
    assert HotkeyStatus(HotkeyState.ACTIVE, "Ctrl+Alt+Space").describe() == (
        "Active: Ctrl+Alt+Space"
    )
    unavailable = HotkeyStatus(
        HotkeyState.UNAVAILABLE, "Ctrl+Alt+Space", "another application already uses it"
    )
    assert unavailable.describe() == "Unavailable: another application already uses it"
    assert HotkeyStatus(HotkeyState.OFF).describe().startswith("Off")
    assert "Ctrl+K" in HotkeyStatus(HotkeyState.PENDING, "Ctrl+K").describe()
