"""Code fences: a wrapper fence longer than any inside, and closing a fence a reply left open."""

from __future__ import annotations

import pytest

from kibitz.core.transfer.fences import close_open_fence, fence_for, fenced, open_fence


@pytest.mark.parametrize(
    ("text", "fence"),
    [
        ("plain", "```"),
        ("inline `code` here", "```"),
        ("```python\nx\n```", "````"),
        ("````\n```\n````", "`````"),
        ("a ``````` run mid-line", "````````"),
    ],
)
def test_wrapper_fence_is_longer_than_any_backtick_run(text: str, fence: str) -> None:
    assert fence_for(text) == fence


def test_fenced_text_comes_back_verbatim() -> None:
    inner = "Example:\n```python\nprint('```')\n```\n"
    block = fenced(inner, "markdown")
    first, *body, last = block.split("\n")
    assert first == "````markdown"
    assert last == "````"
    assert "\n".join(body) + "\n" == inner
    assert open_fence(block) is None


def test_fenced_info_string_loses_backticks() -> None:
    assert fenced("x", "py`thon").startswith("```python\n")


@pytest.mark.parametrize(
    "text",
    [
        "no code at all",
        "```\ncode\n```",
        "````md\n```\ninner\n```\n````",  # a shorter fence inside does not close the outer one
        "~~~\n```\n~~~",  # nor does the other fence character
        "Use ```inline``` triple ticks",  # backticks in the info string: not a fence
        "1. Step\n\n    ```bash\n    ls\n    ```\n",
    ],
)
def test_balanced_text_is_left_alone(text: str) -> None:
    assert open_fence(text) is None
    assert close_open_fence(text) == text


def test_a_fence_closed_by_a_longer_one() -> None:
    assert open_fence("```\ncode\n`````\n") is None


def test_an_unfinished_block_is_closed_with_its_own_fence() -> None:
    assert close_open_fence("Start:\n\n```python\ndef f():") == "Start:\n\n```python\ndef f():\n```"
    assert close_open_fence("~~~~\nx\n~~~\n") == "~~~~\nx\n~~~\n~~~~"
    assert close_open_fence("````md\n```\ninner\n") == "````md\n```\ninner\n````"


def test_a_block_in_a_list_item_is_closed_inside_the_item() -> None:
    text = "1. Run:\n\n   ```bash\n   make"
    assert close_open_fence(text) == "1. Run:\n\n   ```bash\n   make\n   ```"
