"""The crash handler as a user meets it: a bug in a slot, a task or a thread is written to a
crash file in the log folder and told in one notice; the app and its data carry on."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot
from tests.support.main_window import shown_window

from kibitz.core.errors import InternalError
from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.store import Store
from kibitz.ui.app.crash import MAX_ENTRIES, OPEN_LOG_FOLDER, CrashReporter
from kibitz.ui.app.notices import NoticeBridge
from kibitz.ui.main_window import MainWindow
from kibitz.ui.notify import Notice
from kibitz.ui.tasks import TaskRunner

# The crash handler replaces sys.excepthook itself; pytest-qt's own capture would take it back.
pytestmark = pytest.mark.qt_no_exception_capture

BURST_S = 0.3


class Bug(Exception):
    pass


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return resolve_paths(tmp_path / "home").ensure()


@pytest.fixture
def store(paths: AppPaths) -> Iterator[Store]:
    with Store.open(paths.database) as s:
        s.create_conversation("Keep me")
        yield s


@pytest.fixture
def window(qtbot: QtBot, store: Store, paths: AppPaths) -> Iterator[MainWindow]:
    with shown_window(qtbot, store, paths) as main:
        yield main


@pytest.fixture
def told(window: MainWindow) -> list[Notice]:
    """Every notice the window was asked to show (its bar shows the latest)."""
    return []


@pytest.fixture
def bridge(window: MainWindow, told: list[Notice]) -> NoticeBridge:
    def show(notice: Notice) -> None:
        told.append(notice)
        window.notices.show_notice(notice)

    bridge = NoticeBridge()
    bridge.attach(show, window.notices)
    return bridge


@pytest.fixture
def reporter(paths: AppPaths, bridge: NoticeBridge) -> Iterator[CrashReporter]:
    reporter = CrashReporter(paths.log_dir, bridge.show_notice, burst_s=BURST_S)
    reporter.install()
    yield reporter
    reporter.uninstall()


def crash_files(paths: AppPaths) -> list[Path]:
    return sorted(paths.log_dir.glob("crash-*.log"))


def raise_bug(text: str = "a bug of ours") -> Callable[[], None]:
    def slot() -> None:
        raise Bug(text)

    return slot


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        await asyncio.sleep(0.01)


def assert_told_once(window: MainWindow, told: list[Notice], crash_file: Path) -> None:
    assert len(told) == 1
    notice = window.notices.current
    assert notice is told[0]
    assert window.notices.isVisible()
    assert str(crash_file) in notice.text
    assert "your conversations are safe" in notice.text
    assert notice.action_text == OPEN_LOG_FOLDER
    assert notice.kind == "error"
    assert notice.timeout_ms == 0  # stays until dismissed


def test_an_exception_in_a_slot_is_written_down_and_told(
    qtbot: QtBot,
    window: MainWindow,
    store: Store,
    paths: AppPaths,
    reporter: CrashReporter,
    told: list[Notice],
    caplog: pytest.LogCaptureFixture,
) -> None:
    QTimer.singleShot(0, raise_bug("slot went wrong"))
    qtbot.waitUntil(lambda: len(told) == 1, timeout=10_000)
    qtbot.wait(50)  # nothing more follows
    [crash_file] = crash_files(paths)
    assert crash_file.name.startswith("crash-")
    text = crash_file.read_text(encoding="utf-8")
    assert "Kibitz 0.1.0: an unexpected error" in text
    assert "on the UI thread (a slot or an event handler)" in text
    assert "Bug: slot went wrong" in text
    assert "raise Bug(text)" in text  # the traceback, not just the message
    assert "Bug: slot went wrong" in caplog.text  # and the normal log
    assert_told_once(window, told, crash_file)
    # The app carries on, data and all.
    assert window.isVisible()
    assert [c.title for c in store.list_conversations()] == ["Keep me"]


@pytest.mark.asyncio
async def test_an_exception_in_an_asyncio_task_is_written_down_and_told(
    window: MainWindow, paths: AppPaths, reporter: CrashReporter, told: list[Notice]
) -> None:
    reporter.watch_loop(asyncio.get_running_loop())

    async def fails() -> None:
        raise Bug("task went wrong")

    task = asyncio.ensure_future(fails())
    await asyncio.sleep(0.01)
    assert task.done()
    del task  # nobody retrieves its exception: the loop reports it when it is collected
    gc.collect()
    await eventually(lambda: len(told) == 1)
    await asyncio.sleep(0.05)
    [crash_file] = crash_files(paths)
    text = crash_file.read_text(encoding="utf-8")
    assert "in the event loop: Task exception was never retrieved" in text
    assert "Bug: task went wrong" in text
    assert_told_once(window, told, crash_file)


@pytest.mark.asyncio
async def test_a_bug_in_a_task_runner_task_is_one_crash_notice(
    window: MainWindow, paths: AppPaths, reporter: CrashReporter, told: list[Notice]
) -> None:
    reporter.watch_loop(asyncio.get_running_loop())
    runner = TaskRunner()
    failures: list[object] = []
    runner.failed.connect(lambda _key, error: failures.append(error))

    async def fails() -> None:
        raise ZeroDivisionError("oops")

    await asyncio.gather(runner.start("work", fails()), return_exceptions=True)
    await eventually(lambda: len(told) == 1)
    [crash_file] = crash_files(paths)
    assert "in the event loop: task work failed" in crash_file.read_text(encoding="utf-8")
    assert_told_once(window, told, crash_file)
    # Listeners still hear of it, as a bug (the app's own listener leaves it to this notice).
    [error] = failures
    assert isinstance(error, InternalError)
    assert "ZeroDivisionError: oops" in " ".join(error.lines())


@pytest.mark.asyncio
async def test_an_exception_in_a_loop_callback_is_written_down_and_told(
    window: MainWindow, paths: AppPaths, reporter: CrashReporter, told: list[Notice]
) -> None:
    reporter.watch_loop(asyncio.get_running_loop())
    asyncio.get_running_loop().call_soon(raise_bug("callback went wrong"))
    await eventually(lambda: len(told) == 1)
    [crash_file] = crash_files(paths)
    assert "Bug: callback went wrong" in crash_file.read_text(encoding="utf-8")
    assert_told_once(window, told, crash_file)


def test_an_exception_in_a_thread_is_written_down_and_told(
    qtbot: QtBot,
    window: MainWindow,
    paths: AppPaths,
    reporter: CrashReporter,
    told: list[Notice],
) -> None:
    thread = threading.Thread(target=raise_bug("thread went wrong"), name="hotkey-listener")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(told) == 1, timeout=10_000)
    [crash_file] = crash_files(paths)
    text = crash_file.read_text(encoding="utf-8")
    assert "in thread hotkey-listener" in text
    assert "Bug: thread went wrong" in text
    assert_told_once(window, told, crash_file)


def test_a_burst_is_one_file_and_one_notice_and_a_later_one_is_new(
    qtbot: QtBot,
    window: MainWindow,
    paths: AppPaths,
    reporter: CrashReporter,
    told: list[Notice],
) -> None:
    for n in range(3 * MAX_ENTRIES):  # an error on every repaint, say
        QTimer.singleShot(0, raise_bug(f"again {n}"))
    qtbot.waitUntil(lambda: len(told) == 1, timeout=10_000)
    qtbot.wait(100)
    [first] = crash_files(paths)
    text = first.read_text(encoding="utf-8")
    assert text.count("Traceback (most recent call last)") == MAX_ENTRIES
    assert f"again {MAX_ENTRIES - 1}" in text
    assert f"again {MAX_ENTRIES}\n" not in text
    assert "More errors followed" in text
    assert len(told) == 1

    qtbot.wait(int(BURST_S * 1000) + 200)  # quiet: the burst is over
    QTimer.singleShot(0, raise_bug("much later"))
    qtbot.waitUntil(lambda: len(told) == 2, timeout=10_000)
    files = crash_files(paths)
    assert len(files) == 2
    second = next(f for f in files if f != first)
    assert "Bug: much later" in second.read_text(encoding="utf-8")
    assert window.notices.current is told[1]
    assert str(second) in told[1].text


def test_api_keys_in_an_error_message_stay_out_of_the_crash_file(
    qtbot: QtBot,
    paths: AppPaths,
    reporter: CrashReporter,
    told: list[Notice],
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = "sk-proj-" + "A1b2C3d4E5f6G7h8" * 3
    QTimer.singleShot(0, raise_bug(f"bad header Authorization: Bearer {key}"))
    qtbot.waitUntil(lambda: len(told) == 1, timeout=10_000)
    [crash_file] = crash_files(paths)
    assert key not in crash_file.read_text(encoding="utf-8")
    assert "Authorization: Bearer sk-" in caplog.text
    assert key not in caplog.text


def test_a_crash_before_the_window_exists_is_told_once_it_does(
    qtbot: QtBot, store: Store, paths: AppPaths
) -> None:
    bridge = NoticeBridge()
    reporter = CrashReporter(paths.log_dir, bridge.show_notice, burst_s=BURST_S)
    reporter.install()
    try:
        QTimer.singleShot(0, raise_bug("while building the window"))
        qtbot.waitUntil(lambda: len(bridge.pending) == 1, timeout=10_000)
        with shown_window(qtbot, store, paths) as window:
            assert window.notices.current is None
            bridge.attach(window.notices.show_notice, window.notices)
            [crash_file] = crash_files(paths)
            notice = window.notices.current
            assert notice is not None
            assert str(crash_file) in notice.text
            assert bridge.pending == ()
    finally:
        reporter.uninstall()


def test_open_log_folder_opens_the_folder(
    qtbot: QtBot, window: MainWindow, paths: AppPaths, reporter: CrashReporter, told: list[Notice]
) -> None:
    class Opener(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.urls: list[QUrl] = []

        @Slot(QUrl)
        def open_url(self, url: QUrl) -> None:
            self.urls.append(url)

    opener = Opener()
    QDesktopServices.setUrlHandler("file", opener, "open_url")
    try:
        QTimer.singleShot(0, raise_bug())
        qtbot.waitUntil(lambda: len(told) == 1, timeout=10_000)
        button = next(
            b
            for b in window.notices.findChildren(QPushButton)
            if b.accessibleName() == "Notification action"
        )
        assert button.isVisible()
        assert button.text() == OPEN_LOG_FOLDER
        button.click()
        assert [Path(u.toLocalFile()) for u in opener.urls] == [paths.log_dir]
    finally:
        QDesktopServices.unsetUrlHandler("file")


def test_reporting_never_raises_when_nothing_can_be_written(
    qtbot: QtBot, tmp_path: Path, told: list[Notice], bridge: NoticeBridge
) -> None:
    # A file where the log folder should be: nothing can be created in it, even as root.
    blocked = tmp_path / "logs"
    blocked.write_text("not a folder", encoding="utf-8")
    reporter = CrashReporter(blocked, bridge.show_notice, burst_s=BURST_S)
    reporter.install()
    try:
        QTimer.singleShot(0, raise_bug())
        qtbot.waitUntil(lambda: len(told) == 1, timeout=10_000)
        assert "No crash file could be written" in told[0].text
        assert str(blocked) in told[0].text
    finally:
        reporter.uninstall()


def test_a_failing_notice_is_logged_not_raised(
    qtbot: QtBot, paths: AppPaths, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[Notice] = []

    def broken(notice: Notice) -> None:
        calls.append(notice)
        raise RuntimeError("the notice bar is gone")

    reporter = CrashReporter(paths.log_dir, broken, burst_s=BURST_S)
    reporter.install()
    try:
        QTimer.singleShot(0, raise_bug())
        qtbot.waitUntil(lambda: len(calls) == 1, timeout=10_000)
        qtbot.wait(int(BURST_S * 1000) + 200)
        assert len(calls) == 1  # the failure did not come back round as another crash
        assert len(crash_files(paths)) == 1
        assert "could not show the crash notice" in caplog.text
    finally:
        reporter.uninstall()
