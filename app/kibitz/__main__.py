"""Entry point: `kibitz` starts the app; `kibitz ask|list|export|import|key ...` run headless."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    # Only the argument parser here: the GUI and the CLI commands import what they need.
    from kibitz.cli.parser import parse_args

    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is not None:
        from kibitz.cli.commands import run_command

        return run_command(args)
    # The app's start makes ~90,000 objects that live as long as it does and ~600 that are
    # garbage: the collector's passes over them cost ~11 ms of the first frame. Off until the
    # start is done (kibitz.ui.bootstrap freezes what it made, then collects on its own timer).
    gc.disable()
    if args.smoke_test:
        from kibitz.ui.smoke import run_smoke_test

        return run_smoke_test(args)
    # A Kibitz already running for this data folder takes the request; this process
    # ends before it loads Qt (see kibitz.ui.instance).
    from kibitz.core.paths import resolve_paths
    from kibitz.ui.instance import command_for, forward_to_running

    data_dir = resolve_paths(args.basedir).data_dir
    if forward_to_running(data_dir, command_for(args.quick_ask)):
        return 0
    from kibitz.ui.bootstrap import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
