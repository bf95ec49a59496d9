"""Export file names: safe on Windows, macOS and Linux, unique within an export, stable."""

from __future__ import annotations

import dataclasses
import re

import pytest

from kibitz.core.transfer.filenames import export_filename, safe_name, slug, uid_tag
from kibitz.core.types import Conversation, ConversationId

# What Windows refuses in a name (the strictest of the three systems).
_WINDOWS_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def conversation(title: str, uid: str = "0123456789abcdef0123456789abcdef") -> Conversation:
    # 2025-06-15 23:30 UTC: still the 15th in UTC, already the 16th east of it.
    return Conversation(ConversationId(1), uid, title, 1_750_030_200.0, 1_750_030_200.0)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Trip to Lisbon", "trip-to-lisbon"),
        ('a<b>c:d"e/f\\g|h?i*j', "a-b-c-d-e-f-g-h-i-j"),
        ("  --Spaces -- and__underscores--  ", "spaces-and-underscores"),
        ("Café Zürich", "café-zürich"),
        ("日本語のタイトル", "日本語のタイトル"),
        ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),  # NFKC folds compatibility forms
        ("", "untitled"),
        ("?!*", "untitled"),
    ],
)
def test_slug(title: str, expected: str) -> None:
    assert slug(title) == expected


def test_long_titles_are_cut_in_characters_and_bytes() -> None:
    assert len(slug("word " * 40)) <= 60
    assert not slug("word " * 40).endswith("-")
    long_cjk = slug("漢" * 200)
    assert len(long_cjk.encode("utf-8")) <= 180


def test_uid_tag_uses_a_uuid_prefix_or_a_hash() -> None:
    assert uid_tag("0123456789ABCDEF") == "01234567"
    assert uid_tag("chatgpt:693dfdd5-cb00-8332") == "693dfdd5"
    short = uid_tag("chatgpt:x")
    assert re.fullmatch(r"[0-9a-f]{8}", short)
    assert short == uid_tag("chatgpt:x") != uid_tag("chatgpt:y")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CON", "_CON"),
        ("con.md", "_con.md"),
        ("Lpt1.txt", "_Lpt1.txt"),
        ("console.md", "console.md"),
        ("ends with dots...", "ends with dots"),
        ("a:b?.md", "a-b-.md"),
        ("", "_"),
    ],
)
def test_safe_name(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def test_export_filename_has_date_title_and_uid() -> None:
    name = export_filename(conversation("Trip to Lisbon"))
    assert name == "2025-06-15 trip-to-lisbon (01234567).md"
    assert export_filename(conversation("Trip to Lisbon"), ".json").endswith("(01234567).json")


@pytest.mark.parametrize("title", ["CON", "aux", "nul.txt", 'x<>:"/\\|?*y', "trailing. "])
def test_every_name_is_windows_safe(title: str) -> None:
    name = export_filename(conversation(title))
    assert not _WINDOWS_BAD.search(name)
    assert not name.endswith((" ", "."))
    assert name.split(" ", 1)[0] == "2025-06-15"


def test_names_are_stable_and_unique_in_one_export() -> None:
    a = conversation("Same title", "aaaaaaaa-1111")
    b = conversation("Same title", "aaaaaaaa-2222")  # same 8-character prefix
    first = export_filename(a, taken=set())
    taken: set[str] = set()
    names = [export_filename(c, taken=taken) for c in (a, b)]
    assert names[0] == first == export_filename(a, taken=set()), "stable across exports"
    assert len({n.lower() for n in names}) == 2
    assert names[1].startswith("2025-06-15 same-title (")
    # Windows and macOS compare names without case: "Same" and "SAME" must not collide.
    c = dataclasses.replace(a, uid="AAAAAAAA-1111")
    again: set[str] = set()
    assert export_filename(a, taken=again).lower() != export_filename(c, taken=again).lower()
