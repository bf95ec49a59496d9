"""Function names for tools: own names when unique, server-prefixed on a clash, always valid."""

from __future__ import annotations

from kibitz.core.tools.mcp.naming import FUNCTION_NAME, function_names


def test_a_tool_keeps_its_own_name_when_no_other_server_has_it() -> None:
    names = function_names([("files", "read_file"), ("web", "fetch")])
    assert names == {("files", "read_file"): "read_file", ("web", "fetch"): "fetch"}


def test_a_name_two_servers_share_is_prefixed_with_each_server() -> None:
    names = function_names([("github", "search"), ("web", "search"), ("web", "fetch")])
    assert names[("github", "search")] == "github__search"
    assert names[("web", "search")] == "web__search"
    assert names[("web", "fetch")] == "fetch"


def test_characters_outside_the_api_alphabet_become_underscores() -> None:
    names = function_names([("my.server", "files/read"), ("other", "files/read")])
    assert names[("my.server", "files/read")] == "my_server__files_read"
    assert all(FUNCTION_NAME.match(n) for n in names.values())


def test_a_long_name_is_shortened_with_a_stable_hash() -> None:
    key = ("a-server-with-a-rather-long-name", "a_tool_whose_name_goes_on_and_on_for_a_while")
    clash = ("another-server", key[1])
    first = function_names([key, clash])
    again = function_names([key, clash])
    assert first == again
    assert len(first[key]) == 64
    assert FUNCTION_NAME.match(first[key])
    assert first[key].startswith("a-server-with-a-rather-long-name__a_tool")
    assert first[key] != first[clash]


def test_names_that_meet_after_cleaning_stay_apart() -> None:
    # "a.b" and "a_b" both clean to "a_b"; a tool literally named like a prefixed one too.
    names = function_names([("s1", "a.b"), ("s2", "a_b"), ("s3", "s1__a_b"), ("s1", "x")])
    assert len(set(names.values())) == 4
    assert all(FUNCTION_NAME.match(n) for n in names.values())


def test_the_same_tool_listed_twice_is_named_once() -> None:
    assert function_names([("s", "t"), ("s", "t")]) == {("s", "t"): "t"}
