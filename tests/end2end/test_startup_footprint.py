"""What the start leaves behind: the first frame loads no widget class it does not use, the
idle app keeps no module sources, no QtNetwork and no conversation engine yet, and the
quick-ask panel asks X for a compositor without python-xlib's slow connection.

The app runs for real on the test X server; a probe wraps its start-up log (the steps it
marks, kibitz.ui.app.first_frame) to look inside the process at each step, then ends it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.end2end.app_driver import display_env

pytestmark = pytest.mark.display

_APP_PROBE = """
import json, linecache, os, sys
from kibitz.ui.app import first_frame

seen = {}
mark = first_frame.StartupLog.mark

def probe(self, step, detail=""):
    mark(self, step, detail)
    from PySide6 import QtWidgets
    seen[step] = {
        # PySide6 makes a widget class (and its enum types) the first time it is needed;
        # a wizard or a graphics view the window never shows was made for nothing.
        "unused widget classes": sorted(
            n for n in ("QWizard", "QGraphicsView", "QMdiArea", "QColorDialog")
            if n in vars(QtWidgets)
        ),
        "cached sources": len(linecache.cache),
        # QStyle's Python type (~4 ms with its enums): the first frame's palette is the one
        # the last start made (kibitz.ui.kept_palette), its rows drawn without their states.
        "QStyle": "QStyle" in vars(QtWidgets),
        "QtNetwork": "PySide6.QtNetwork" in sys.modules,
        # The engine and the wire load with the first question (or while it is typed).
        "engine": [m for m in ("kibitz.core.conversation.engine", "kibitz.core.chat")
                   if m in sys.modules],
        # The hotkey grabs through libxcb: python-xlib took ~40 ms to import and connect.
        "Xlib": "Xlib" in sys.modules,
        # The message widgets (Markdown, math, tool cards) come with the first message shown.
        "message widgets": "kibitz.ui.views.message_widget" in sys.modules,
        # Made when first used: Compare mode, the Trash's view; a turn's events with a turn.
        "first use": [m for m in ("kibitz.ui.controllers.compare_controller",
                                  "kibitz.ui.views.compare_view", "kibitz.ui.views.trash_view",
                                  "kibitz.core.conversation.events") if m in sys.modules],
    }
    if step == first_frame.READY:
        from PySide6.QtWidgets import QApplication
        from Xlib import display  # the test's own look at the window, after the above

        window = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "MainWindow")
        dpy = display.Display()
        icon = dpy.create_resource_object("window", int(window.winId())).get_full_property(
            dpy.intern_atom("_NET_WM_ICON"), 0)
        values, sizes = list(icon.value) if icon is not None else [], []
        while len(values) >= 2:  # width, height, then width * height pixels, per size
            sizes.append(values[0])
            values = values[2 + values[0] * values[1]:]
        seen["window icon sizes"] = sizes
        print(json.dumps(seen), flush=True)
        os._exit(0)

first_frame.StartupLog.mark = probe
from kibitz.__main__ import main
sys.exit(main(sys.argv[1:]))
"""

_COMPOSITOR_PROBE = """
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from kibitz.ui.panel_frame import can_be_translucent
print(json.dumps([can_be_translucent(), "Xlib" in sys.modules]))
"""


def _run(code: str, *args: str) -> object:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=display_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_the_start_loads_only_the_widget_classes_it_uses_and_keeps_no_sources_or_xlib(
    basedir: Path,
) -> None:
    seen = _run(_APP_PROBE, "--basedir", str(basedir))
    assert isinstance(seen, dict)
    usable, ready = seen["window usable"], seen["start-up complete"]
    assert usable["unused widget classes"] == []
    assert ready["cached sources"] == 0
    # The single-instance server is a plain Unix socket (kibitz.ui.unix_instance_server).
    assert not ready["QtNetwork"]
    assert ready["engine"] == []
    assert not ready["Xlib"]
    assert not ready["message widgets"]
    assert ready["first use"] == []
    # Sent to X in every size it has when the window is made: none larger than taskbars draw.
    assert seen["window icon sizes"], "the window has no icon"
    assert max(seen["window icon sizes"]) <= 128, seen["window icon sizes"]

    assert usable["QStyle"]  # a first start makes its palette from the style
    again = _run(_APP_PROBE, "--basedir", str(basedir))
    assert isinstance(again, dict)
    assert not again["window usable"]["QStyle"]  # the next one has it kept
    assert again["start-up complete"]["QStyle"]  # and checks it once the frame is painted


@pytest.fixture
def compositor() -> Iterator[None]:
    """A compositing manager, as far as anyone asking X can tell: a window owning
    _NET_WM_CM_S0 (held through python-xlib here, in the test)."""
    from Xlib import X, display

    display_env()  # skips the test without an X display
    dpy = display.Display()
    owner = dpy.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
    owner.set_selection_owner(dpy.intern_atom("_NET_WM_CM_S0"), X.CurrentTime)
    dpy.sync()
    try:
        yield
    finally:
        owner.destroy()
        dpy.close()


def test_without_a_compositor_the_panel_is_not_see_through() -> None:
    assert _run(_COMPOSITOR_PROBE) == [False, False]


def test_with_a_compositor_the_panel_is_see_through(compositor: None) -> None:
    assert _run(_COMPOSITOR_PROBE) == [True, False]
