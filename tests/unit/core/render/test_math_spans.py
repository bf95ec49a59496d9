"""Finding formulas in model text: the corpus of real reply shapes, URLs, and bounded work."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from kibitz.core.render.math_spans import (
    MATH_SCHEME,
    MathSpan,
    TextSpan,
    math_url,
    span_from_url,
    split_math,
)

CORPUS = json.loads(
    (Path(__file__).parents[3] / "fixtures" / "math" / "corpus.json").read_text("utf-8")
)


def _kinds(spans: list[TextSpan | MathSpan]) -> list[list[str]]:
    out = []
    for span in spans:
        if isinstance(span, TextSpan):
            out.append(["text", span.text])
        else:
            out.append(["display" if span.display else "inline", span.raw])
    return out


@pytest.mark.parametrize("case", CORPUS, ids=[case["name"] for case in CORPUS])
def test_corpus_splits_as_expected(case: dict[str, object]) -> None:
    text = case["input"]
    assert isinstance(text, str)
    spans = split_math(text)
    assert _kinds(spans) == case["expect"], case["source"]
    # Nothing is lost or reordered: copy gives back what was written.
    assert "".join(s.text if isinstance(s, TextSpan) else s.raw for s in spans) == text


def test_every_corpus_case_names_its_source() -> None:
    assert all(case["source"] for case in CORPUS)


@pytest.mark.parametrize(
    ("text", "tex"),
    [
        ("$a_1$", "a_1"),
        ("\\( x \\)", "x"),
        ("$$\n e = mc^2\n$$", "e = mc^2"),
        ("\\[\\frac12\\]", "\\frac12"),
        ("\\begin{align}a\\end{align}", "\\begin{align}a\\end{align}"),
    ],
)
def test_tex_is_inside_the_delimiters(text: str, tex: str) -> None:
    (span,) = split_math(text)
    assert isinstance(span, MathSpan)
    assert span.tex == tex
    assert span.raw == text


def test_empty_and_plain_text() -> None:
    assert split_math("") == []
    assert split_math("no math here") == [TextSpan("no math here")]


@pytest.mark.parametrize(
    "raw", ["$x$", "$$a\n\nb$$", "\\(y\\)", "\\[z\\]", "\\begin{cases}1\\end{cases}", "$50%/é$"]
)
def test_url_round_trip(raw: str) -> None:
    (span,) = split_math(raw)
    assert isinstance(span, MathSpan)
    url = math_url(span)
    assert url.startswith(MATH_SCHEME + ":")
    assert all(c not in url for c in " \n\"'<>&")
    assert span_from_url(url) == span


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/x.png",
        "kibitz-math:",
        "kibitz-math:x/%24x%24",
        "kibitz-math:d/%24x%24",  # inline source claimed as display
        "kibitz-math:i/plain",
        "kibitz-math:i/%24x%24%20and%20%24y%24",  # two formulas
        "kibitz-math:i/%ff%fe",
        "data:image/png;base64,AAAA",
    ],
)
def test_foreign_or_malformed_urls_are_not_ours(url: str) -> None:
    assert span_from_url(url) is None


@pytest.mark.parametrize(
    "text",
    [
        "${" * 20_000,
        "$a " * 20_000,
        "\\(" * 20_000,
        "$$" * 20_000 + "x",
        "\\begin{align}" * 5_000,
        "`" * 20_000,
        ("$\\text{" * 3_000 + "\n") * 3,
    ],
    ids=["brace", "dollar-a", "paren", "dollars", "begins", "backticks", "text-lines"],
)
def test_hostile_input_takes_linear_work(text: str) -> None:
    # Python steps (lines, calls, returns), which neither the machine's speed nor its load
    # changes: a quadratic scan of these inputs would take thousands of steps a character.
    steps = 0

    def count(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal steps
        steps += 1
        return count

    previous = sys.gettrace()
    sys.settrace(count)
    try:
        spans = split_math(text)
    finally:
        sys.settrace(previous)
    assert steps <= 80 * len(text), f"{steps:,} steps for {len(text):,} characters"
    assert "".join(s.text if isinstance(s, TextSpan) else s.raw for s in spans) == text


def test_a_quoted_formula_loses_the_quote_markers_of_its_lines_but_keeps_them_in_raw() -> None:
    text = "> Then:\n> $$\n> x^2\n> $$\n> \\begin{align}\n> a &= b\n> \\end{align}"
    formulas = [s for s in split_math(text) if isinstance(s, MathSpan)]
    assert [(f.raw, f.tex) for f in formulas] == [
        ("$$\n> x^2\n> $$", "x^2"),
        ("\\begin{align}\n> a &= b\n> \\end{align}", "\\begin{align}\na &= b\n\\end{align}"),
    ]
