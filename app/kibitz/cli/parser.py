"""Command-line grammar: global options, the GUI flags and the headless subcommands."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from kibitz import __version__
from kibitz.cli.transfer_args import add_transfer_commands
from kibitz.core.types import REASONING_EFFORTS


def _float_in(low: float, high: float) -> Callable[[str], float]:
    """An argparse type that refuses values outside [low, high], naming the allowed range."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value:g} is outside the range {low:g} to {high:g}")
        return value

    return parse


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be 1 or more")
    return value


def _conversation_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a conversation id (see `kibitz list`)"
        ) from None


def _global_options(suppress: bool) -> argparse.ArgumentParser:
    """--basedir and --verbose, accepted before and after the subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    default = argparse.SUPPRESS if suppress else None
    common.add_argument(
        "--basedir",
        metavar="DIR",
        default=default,
        help="keep all data and settings in DIR (also: the KIBITZ_HOME environment variable)",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="log debug details to stderr",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kibitz",
        description="A native desktop assistant for OpenAI-compatible chat servers. "
        "With no command, the app starts.",
        parents=[_global_options(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"kibitz {__version__}")
    parser.add_argument(
        "--quick-ask",
        action="store_true",
        help="show the quick-ask window of the running Kibitz (starting it if needed); "
        "bind this to a shortcut in any desktop",
    )
    parser.add_argument(
        "--tray", action="store_true", help="start in the tray, without the window (login start)"
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="check this installation: start from a throwaway data folder, stream a reply from "
        "a built-in local server into the window and quick ask, check the keyring, exit 0",
    )
    parser.add_argument(
        "--smoke-allow-no-keyring",
        action="store_true",
        help="with --smoke-test: pass on a machine without a system keyring",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = [_global_options(suppress=True)]

    ask = sub.add_parser("ask", parents=common, help="ask a question and stream the reply")
    ask.add_argument("prompt", nargs="*", help="the question; text piped on stdin is added")
    ask.add_argument("-m", "--model", help="model name (default: from settings)")
    ask.add_argument("-s", "--system", help="system prompt for a new conversation")
    which = ask.add_mutually_exclusive_group()
    which.add_argument(
        "-c", "--conversation", type=_conversation_id, metavar="ID", help="continue conversation ID"
    )
    which.add_argument("--new", action="store_true", help="start a new conversation (default)")
    ask.add_argument("--temperature", type=_float_in(0.0, 2.0), metavar="T", help="0 to 2")
    ask.add_argument("--top-p", type=_float_in(0.0, 1.0), metavar="P", help="0 to 1")
    ask.add_argument("--max-tokens", type=_positive_int, metavar="N", help="reply length limit")
    ask.add_argument(
        "--reasoning-effort",
        choices=REASONING_EFFORTS,
        help="how hard a reasoning model thinks (sent only when given or set in settings)",
    )
    ask.add_argument(
        "--show-reasoning",
        action="store_true",
        help="print the model's reasoning to stderr as it arrives (stdout stays the answer)",
    )
    ask.add_argument(
        "--no-stream", action="store_true", help="wait for the whole reply, then print it"
    )
    ask.add_argument(
        "-a",
        "--attach",
        action="append",
        default=[],
        metavar="PATH",
        help="send an image (PNG, JPEG, WebP, GIF, ...), a text file or a PDF with the "
        "question; repeat for several; - reads one from stdin (a screenshot: "
        "xclip -selection clipboard -t image/png -o | kibitz ask -a - QUESTION)",
    )
    ask.add_argument(
        "--tools",
        action="store_true",
        help="offer the tools of every enabled MCP server (kibitz mcp list); each call is "
        "shown on stderr and, on a terminal, asked y/N",
    )
    ask.add_argument(
        "--approve",
        action="append",
        default=[],
        metavar="TOOL",
        help="with --tools: run calls of TOOL without asking (its name, or SERVER/TOOL); "
        "repeat for several; '*' runs every call",
    )

    lst = sub.add_parser("list", parents=common, help="list stored conversations")
    lst.add_argument("--json", action="store_true", help="print JSON instead of a table")

    add_transfer_commands(sub, common, _conversation_id)

    key = sub.add_parser("key", parents=common, help="store or delete an API key in the keyring")
    key_sub = key.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    for name, text in (
        ("set", "read a key from stdin and store it in the OS keyring"),
        ("delete", "delete the stored key"),
    ):
        action = key_sub.add_parser(name, parents=common, help=text)
        action.add_argument(
            "--provider",
            metavar="NAME",
            help="provider profile name (default: the active provider)",
        )
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))
