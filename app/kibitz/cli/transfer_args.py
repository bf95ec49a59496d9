"""Command-line grammar of `kibitz export` and `kibitz import` (argparse only: cheap to load)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

FORMATS = {"md": "markdown", "markdown": "markdown", "json": "json"}


def _id_list(parse_id: Callable[[str], int]) -> Callable[[str], list[int]]:
    def parse(text: str) -> list[int]:
        return [parse_id(part.strip()) for part in text.split(",") if part.strip()]

    return parse


def add_transfer_commands(
    sub: Any, common: list[argparse.ArgumentParser], parse_id: Callable[[str], int]
) -> None:
    """Add `export` and `import` to the subcommands `sub` (an argparse subparsers action)."""
    export = sub.add_parser(
        "export",
        parents=common,
        help="export conversations as Markdown or lossless JSON",
        description="Export conversations: every live one unless IDs are given.",
    )
    export.add_argument("ids", nargs="*", type=parse_id, metavar="ID", help="conversation ids")
    export.add_argument(
        "--ids",
        dest="id_lists",
        action="append",
        type=_id_list(parse_id),
        default=[],
        metavar="ID,ID,...",
        help="conversation ids, comma-separated",
    )
    export.add_argument(
        "--all", action="store_true", help="every conversation (the default without IDs)"
    )
    export.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default="markdown",
        type=str.lower,
        help="md (default) or json (lossless: every branch, parameters, usage, times)",
    )
    export.add_argument(
        "--out",
        metavar="PATH",
        help="Markdown: a folder (one file per conversation, its images and files in a "
        "folder of the same name beside it); JSON: a file or a folder. Default: stdout "
        "(Markdown only for a single conversation, attachments named in words)",
    )
    export.add_argument(
        "--all-branches",
        action="store_true",
        help="Markdown: every branch, not only the current one",
    )

    imp = sub.add_parser(
        "import",
        parents=common,
        help="import a ChatGPT export or a Kibitz JSON export",
        description="Import ChatGPT's “Export data” (the .zip, or conversations.json) or a "
        "Kibitz JSON export. All or nothing; conversations already here are skipped.",
    )
    imp.add_argument("path", metavar="PATH", help="the .zip, .json or extracted export folder")
    imp.add_argument("--json", action="store_true", help="print the result as JSON")
    imp.add_argument(
        "--keep-instructions",
        action="store_true",
        help="ChatGPT: keep your custom instructions as each conversation's system prompt "
        "(left out by default: they are account settings, not part of a conversation)",
    )
