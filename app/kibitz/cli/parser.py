"""Command-line grammar: global options, the GUI flags and the headless subcommands.

A plain `kibitz` (the app, maybe with a few of its own flags) is read without building the
whole grammar: its every subcommand costs argparse ~170 regular expressions, time the window
would wait for (see `parse_args`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from kibitz import __version__


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


def _add_trash_command(sub: Any, common: list[argparse.ArgumentParser]) -> None:
    # 30: TRASH_DAYS, written out to keep the store's imports off every start (a test compares).
    trash = sub.add_parser(
        "trash",
        parents=common,
        help="list, restore or empty the Trash of deleted conversations",
        description="Deleted conversations wait in the Trash for 30 days before they are "
        "deleted for good. Without an option, list them.",
    )
    action = trash.add_mutually_exclusive_group()
    action.add_argument(
        "--restore",
        nargs="+",
        type=_conversation_id,
        metavar="ID",
        help="put conversations back in the list (ids from `kibitz trash`)",
    )
    action.add_argument(
        "--empty", action="store_true", help="delete everything in the Trash for good"
    )
    trash.add_argument("--json", action="store_true", help="list as JSON instead of a table")


def _add_usage_command(sub: Any, common: list[argparse.ArgumentParser]) -> None:
    usage = sub.add_parser(
        "usage",
        parents=common,
        help="tokens and cost over a period, by day, model, provider or conversation",
        description="What the replies of a period used and cost, with the price each reply "
        "was charged at (replies whose model has no known price are counted apart).",
    )
    usage.add_argument(
        "--since",
        default="30d",
        metavar="DATE",
        help="from this day (YYYY-MM-DD), or a span back from today: 30d, 4w, 3m, 1y, "
        "or 'all' (default: 30d)",
    )
    usage.add_argument("--until", metavar="DATE", help="up to this day included (YYYY-MM-DD)")
    usage.add_argument(
        "--by",
        choices=("day", "model", "provider", "conversation"),
        default="day",
        help="one row per day (the default), model, provider or conversation",
    )
    output = usage.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON instead of a table")
    output.add_argument("--csv", action="store_true", help="print CSV instead of a table")


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
    from kibitz.cli.transfer_args import add_transfer_commands
    from kibitz.core.types import REASONING_EFFORTS

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
    ask.add_argument(
        "-m",
        "--model",
        dest="models",
        action="append",
        metavar="MODEL",
        help="model name (default: from settings); give -m two to four times to ask each "
        "model at once (compare): the answers print in that order, each under a header with "
        "its figures on stderr, and are kept as sibling replies, the first model's current "
        "(the first that answered, if it failed) and its model the conversation's; "
        "--provider applies to every model",
    )
    ask.add_argument("-s", "--system", help="system prompt for a new conversation")
    which = ask.add_mutually_exclusive_group()
    which.add_argument(
        "-c", "--conversation", type=_conversation_id, metavar="ID", help="continue conversation ID"
    )
    which.add_argument("--new", action="store_true", help="start a new conversation (default)")
    ask.add_argument(
        "--provider",
        metavar="NAME",
        help="provider profile to ask (default: the conversation's own, else the active one); "
        "kept as the conversation's provider",
    )
    ask.add_argument("--temperature", type=_float_in(0.0, 2.0), metavar="T", help="0 to 2")
    ask.add_argument("--top-p", type=_float_in(0.0, 1.0), metavar="P", help="0 to 1")
    ask.add_argument("--max-tokens", type=_positive_int, metavar="N", help="reply length limit")
    ask.add_argument(
        "--reasoning-effort",
        choices=REASONING_EFFORTS,
        help="how hard a reasoning model thinks (sent only when given or set in settings)",
    )
    ask.add_argument(
        "--json-schema",
        metavar="FILE",
        help="structured output: the reply is JSON following the JSON Schema in FILE (its root "
        '{"type": "object", ...}; or {"name", "schema", "strict"}); kept by the conversation',
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
        "--json",
        action="store_true",
        help="print, once every reply ended, JSON on stdout: conversation_id, question_id, "
        "current_reply_id and replies (each: id, model, provider, status, text, reasoning, "
        "error, hint, figures: first_token_s, duration_s, tokens_per_second, prompt_tokens, "
        "completion_tokens, cost_usd; null where not known)",
    )
    ask.add_argument(
        "--dry-run",
        action="store_true",
        help="print the request that would be sent (its JSON body, after trimming; with "
        "several -m, a JSON array of one body per model) and send and store nothing",
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

    _add_trash_command(sub, common)

    _add_usage_command(sub, common)

    add_transfer_commands(sub, common, _conversation_id)

    _add_mcp_command(sub, common)

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


class _McpActionParser(argparse.ArgumentParser):
    """`kibitz mcp add NAME --env K=V -- COMMAND ARG...`: what follows `--` is the server's
    command line, taken whole. Plain argparse matches every positional at the first one it
    meets (NAME), so a COMMAND after the options would be left over as an error."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        given = list(args or [])
        takes_command = any(a.dest == "server_command" for a in self._actions)
        if not takes_command or "--" not in given:
            return super().parse_known_args(given, namespace)
        cut = given.index("--")
        found, extras = super().parse_known_args(given[:cut], namespace)
        if found.server_command:
            self.error("give the server's command once, after --")
        found.server_command = given[cut + 1 :]
        return found, extras


def _add_mcp_command(sub: Any, common: list[argparse.ArgumentParser]) -> None:
    """`kibitz mcp add|list|remove|import`: the MCP tool servers (run by kibitz.cli.mcp)."""
    mcp = sub.add_parser("mcp", parents=common, help="add, list, remove or import MCP tool servers")
    actions = mcp.add_subparsers(
        dest="mcp_command", metavar="ACTION", required=True, parser_class=_McpActionParser
    )
    add = actions.add_parser(
        "add",
        parents=common,
        help="add a server: a command Kibitz starts (after --), or an HTTP server's --url",
        usage="kibitz mcp add NAME [--env KEY=VALUE]... -- COMMAND [ARG...]\n"
        "       kibitz mcp add NAME --url URL [--header 'Name: value']... [--sse]",
    )
    add.add_argument("name", metavar="NAME", help="a name for it (letters, digits, _ . -)")
    add.add_argument(
        "server_command",
        nargs="*",
        metavar="COMMAND",
        help="the program to start and its arguments, after --",
    )
    add.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an environment variable for the program; the value goes to the OS keyring",
    )
    add.add_argument("--url", help="the URL of a streamable HTTP server (or an SSE one: --sse)")
    add.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="an HTTP header to send it (an API key, a token); the value goes to the OS keyring",
    )
    add.add_argument("--sse", action="store_true", help="the URL speaks the older HTTP+SSE")
    lst = actions.add_parser(
        "list", parents=common, help="each server, its state and (by connecting) its tools"
    )
    lst.add_argument("--json", action="store_true", help="print JSON instead of text")
    remove = actions.add_parser(
        "remove", parents=common, help="remove a server and its values in the keyring"
    )
    remove.add_argument("name", metavar="NAME")
    imp = actions.add_parser(
        "import",
        parents=common,
        help="import the mcpServers of Claude Desktop, Cursor, LM Studio or VS Code",
    )
    imp.add_argument("file", metavar="FILE", help="their JSON file, or - for stdin")


# The app's own flags, as `build_parser` defines them: dest for each (--basedir takes a value).
_APP_FLAGS = {
    "-v": "verbose",
    "--verbose": "verbose",
    "--quick-ask": "quick_ask",
    "--tray": "tray",
    "--smoke-test": "smoke_test",
    "--smoke-allow-no-keyring": "smoke_allow_no_keyring",
}


def _app_start(argv: Sequence[str]) -> argparse.Namespace | None:
    """What `build_parser` would make of `argv` when it only starts the app with its own flags,
    each spelled out in full; None for anything else (a subcommand, --help, --version, an
    abbreviation, a mistake), which the whole grammar reads and, if need be, rejects."""
    args = argparse.Namespace(
        basedir=None,
        verbose=False,
        quick_ask=False,
        tray=False,
        smoke_test=False,
        smoke_allow_no_keyring=False,
        command=None,
    )
    tokens = iter(argv)
    for token in tokens:
        if token in _APP_FLAGS:
            setattr(args, _APP_FLAGS[token], True)
        elif token == "--basedir":
            value = next(tokens, None)
            if value is None or value.startswith("-"):
                return None
            args.basedir = value
        elif token.startswith("--basedir="):
            args.basedir = token.removeprefix("--basedir=")
        else:
            return None
    return args


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    return _app_start(argv) or build_parser().parse_args(list(argv))
