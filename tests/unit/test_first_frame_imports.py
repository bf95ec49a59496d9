"""What the window needs for its first frame loads no heavy library (they cost start-up time).

The first frame is the conversation list and the composer (kibitz.ui.main_window built with
`deferred=True`); the chat view, its controller with the chat engine, tool servers, the event
loop (asyncio, qasync), quick ask, the tray and the hotkey come once it is painted.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "openai",
    "markdown",
    "pygments",
    "mcp",
    "httpx",
    "nh3",
    "asyncio",
    "qasync",
    "PySide6.QtNetwork",
    "kibitz.core.conversation",
    "kibitz.core.render",
    "kibitz.core.tools",
    "kibitz.ui.chat_controller",
    "kibitz.ui.views.chat_view",
    "kibitz.ui.tools",
    "kibitz.ui.quick_ask",
    "kibitz.ui.tray",
    "kibitz.ui.hotkey",
    "kibitz.ui.desktop",
    # The settings schema: the first frame reads the [ui] section alone (settings.early_ui).
    "kibitz.core.settings.schema",
    "kibitz.core.settings.storage",
    "kibitz.core.settings.provider",
    "kibitz.cli.transfer_args",  # the subcommands' grammar: a plain `kibitz` builds none
    "keyring",  # the key check runs once the start is complete
    "Xlib",  # the hotkey's; quick ask's compositor check goes through libX11 itself
    "ziamath",  # LaTeX math: loads with the first formula drawn
    "ziafont",
    "latex2mathml",
    # The Trash: the first frame only counts it (its entry); the view comes with the rest.
    "kibitz.ui.views.trash_view",
    "kibitz.ui.controllers.trash_controller",
    # Attachments: the composer makes its chips, and the clipboard's readers, on first use.
    "kibitz.ui.attachments",
    "kibitz.core.attachments",
    "kibitz.ui.views.composer_attachments",
    "kibitz.ui.views.attachment_chip",
    "html",  # its table of entities (~1 ms): search results escape with it when shown
    # The typed Store and the core's records: the first frame lists the database's first page
    # (kibitz.core.store.opening); the Store, search and the store's watch come after it.
    "kibitz.core.types",
    "kibitz.core.store.facade",
    "kibitz.ui.views.search_hit_delegate",
    "kibitz.ui.controllers.sidebar_controller",
    "kibitz.ui.controllers.store_watch",
)
# What `kibitz` imports before its window's first frame: the entry point's own, then
# kibitz.ui.bootstrap's (inside run_gui, so importing the module alone would not load them).
FIRST_FRAME = (
    "kibitz.__main__",
    "kibitz.cli.parser",
    "kibitz.ui.instance",
    "kibitz.ui.bootstrap",
    "kibitz.ui.app.first_frame",
    "kibitz.core.secrets",
    "kibitz.ui.app.crash",
    "kibitz.ui.app.notices",
    "kibitz.ui.app.store_upgrade",
    "kibitz.ui.app_settings",
    "kibitz.ui.collector",
    "kibitz.ui.main_window",
    "kibitz.ui.notify",
    "kibitz.ui.style",
    "kibitz.ui.tasks",
    "kibitz.ui.app_icon",
)

_PROBE = """
import importlib, json, sys
first_frame, heavy = sys.argv[1].split(","), tuple(sys.argv[2].split(","))
for name in first_frame:
    importlib.import_module(name)
print(json.dumps(sorted(
    m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy)
)))
"""


def test_first_frame_imports_leave_heavy_libraries_for_later() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, ",".join(FIRST_FRAME), ",".join(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout.splitlines()[-1])
    assert loaded == [], f"the first frame's imports load {loaded}"
