"""Test-wide setup: Qt off screen, private data dirs per test, and each async test's event loop."""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

# Before anything creates a QApplication: unit UI tests never need a display, and qasync must
# pick PySide6 even when another binding happens to be installed.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

# Async tests under these folders (or marked `qt`) run on a qasync loop over the QApplication.
QT_LOOP_DIRS = (("tests", "unit", "ui"), ("tests", "end2end"))
# Set by tests/support/with-keyring.sh inside its private D-Bus session.
KEYRING_SESSION_FLAG = "_KIBITZ_KEYRING_INNER"

LoopFactory = Callable[[], asyncio.AbstractEventLoop]

_session_dir: Path | None = None
# The QApplication the qasync loops run on; held here so it lives as long as the session.
_qt_app: Any = None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "qt: run this async test on a qasync QEventLoop "
        "(automatic under tests/unit/ui and tests/end2end)",
    )
    global _session_dir
    _session_dir = Path(tempfile.mkdtemp(prefix="kibitz-tests-"))
    # Session-scoped fixtures run before the per-test home below exists: even they must not see
    # a developer's KIBITZ_HOME (it may be their real data).
    os.environ["KIBITZ_HOME"] = str(_session_dir / "home")
    if not os.environ.get("XDG_RUNTIME_DIR"):
        # Qt (single-instance sockets, QStandardPaths) warns without one, and warnings fail tests.
        os.environ["XDG_RUNTIME_DIR"] = _private_runtime_dir()
    if os.environ.get(KEYRING_SESSION_FLAG) != "1":
        # Outside tests/run.sh's throwaway Secret Service, the only keyring around is the
        # developer's own: make any keyring call fail rather than write into it.
        os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def _private_runtime_dir() -> str:
    assert _session_dir is not None
    runtime = _session_dir / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    return str(runtime)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _session_dir is not None:
        shutil.rmtree(_session_dir, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(KEYRING_SESSION_FLAG) == "1":
        return
    skip = pytest.mark.skip(reason="needs the private Secret Service: run bash tests/run.sh")
    for item in items:
        if item.get_closest_marker("keyring") is not None:
            item.add_marker(skip)


def _wants_qt_loop(config: pytest.Config, item: pytest.Item) -> bool:
    if item.get_closest_marker("qt") is not None:
        return True
    try:
        parts = Path(item.path).relative_to(config.rootpath).parts
    except ValueError:
        return False
    return any(parts[: len(prefix)] == prefix for prefix in QT_LOOP_DIRS)


def _qasync_loop() -> asyncio.AbstractEventLoop:
    # Imported here, never at module level: core and integration tests must run without Qt.
    from PySide6.QtWidgets import QApplication

    from kibitz.ui.app.event_loop import AppEventLoop

    global _qt_app
    _qt_app = QApplication.instance() or QApplication([])
    loop: asyncio.AbstractEventLoop = AppEventLoop(_qt_app)
    return loop


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, LoopFactory]:
    """pytest-asyncio's hook: the one loop factory for this test (one name, so no extra id)."""
    if _wants_qt_loop(config, item):
        return {"qasync": _qasync_loop}
    return {"asyncio": asyncio.new_event_loop}


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own KIBITZ_HOME, so none can touch a developer's real data."""
    home = tmp_path / "kibitz-home"
    monkeypatch.setenv("KIBITZ_HOME", str(home))
    if not os.environ.get("XDG_RUNTIME_DIR"):
        monkeypatch.setenv("XDG_RUNTIME_DIR", _private_runtime_dir())
    return home


@pytest.fixture
def basedir(_isolated_home: Path) -> Path:
    """The test's data folder (what --basedir / KIBITZ_HOME point at), created and empty."""
    _isolated_home.mkdir(parents=True, exist_ok=True)
    return _isolated_home


@pytest.fixture(autouse=True)
def _collect_qt_garbage_on_the_main_thread() -> Iterator[None]:
    """Collect each test's garbage here, on the thread that made its Qt objects.

    Python's cyclic collector runs on whichever thread happens to allocate: left to itself it
    would free a test's widgets later on a fake server's thread ("QObject::~QObject: Timers
    cannot be stopped from another thread"), and a later processEvents then crashed.
    """
    yield
    if "PySide6.QtGui" in sys.modules:
        _clear_clipboard()
    if "PySide6.QtCore" in sys.modules:
        gc.collect()


def _clear_clipboard() -> None:
    """Give back what a test put on the clipboard while Python still runs: Qt deletes the
    clipboard's QMimeData in its own exit handlers, after Python is gone, and deleting a
    Python-made one then crashed the process (SIGSEGV after "N passed")."""
    from PySide6.QtGui import QClipboard, QGuiApplication

    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        for mode in (QClipboard.Mode.Clipboard, QClipboard.Mode.Selection):
            app.clipboard().clear(mode)
