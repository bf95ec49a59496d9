"""A plain `kibitz` is read without the whole command-line grammar, to the same result."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from kibitz.cli.parser import build_parser, parse_args

APP_STARTS = [
    [],
    ["--basedir", "/tmp/data"],
    ["--basedir=/tmp/data"],
    ["--basedir", ""],
    ["--basedir", "ask"],  # a folder named like a subcommand is still a folder
    ["-v", "--verbose", "--tray"],
    ["--quick-ask", "--basedir", "a", "--basedir", "b"],
    ["--smoke-test", "--smoke-allow-no-keyring"],
]


@pytest.mark.parametrize("argv", APP_STARTS)
def test_an_app_start_reads_as_the_whole_grammar_reads_it(argv: list[str]) -> None:
    assert parse_args(argv) == build_parser().parse_args(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["list"],
        ["--basedir", "/tmp/data", "list", "--json"],
        ["--quick"],  # an abbreviation argparse accepts
        ["--base", "/tmp/data"],
        ["-vv"],
        ["--basedir"],
    ],
)
def test_everything_else_goes_to_the_whole_grammar(argv: list[str]) -> None:
    try:
        expected: argparse.Namespace | int = build_parser().parse_args(argv)
    except SystemExit as exc:
        expected = int(exc.code or 0)
    try:
        got: argparse.Namespace | int = parse_args(argv)
    except SystemExit as exc:
        got = int(exc.code or 0)
    assert got == expected


def test_help_and_mistakes_print_what_they_always_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in (["--help"], ["--basedir", "-x"], ["--bogus"], ["--version"]):
        with pytest.raises(SystemExit) as via_parse:
            parse_args(argv)
        got = capsys.readouterr()
        with pytest.raises(SystemExit) as via_grammar:
            build_parser().parse_args(argv)
        expected = capsys.readouterr()
        assert via_parse.value.code == via_grammar.value.code
        assert (got.out, got.err) == (expected.out, expected.err)
    with pytest.raises(SystemExit):
        parse_args(["--help"])
    assert "COMMAND" in capsys.readouterr().out  # the subcommands are listed


def test_an_app_start_builds_no_subcommand() -> None:
    """The fast path's point: no subcommand's grammar is built (nor its modules loaded)."""
    probe = (
        "import argparse, json, sys\n"
        "built = []\n"
        "add = argparse._SubParsersAction.add_parser\n"
        "argparse._SubParsersAction.add_parser = "
        "lambda self, *a, **k: built.append(a[0]) or add(self, *a, **k)\n"
        "from kibitz.cli.parser import parse_args\n"
        "parse_args(['--basedir', '/tmp/x', '--tray'])\n"
        "print(json.dumps([built, 'kibitz.cli.transfer_args' in sys.modules]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [[], False]
