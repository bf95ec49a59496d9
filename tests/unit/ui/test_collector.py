"""Garbage is collected on the UI thread, by timer, not wherever Python happens to allocate."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest
from pytestqt.qtbot import QtBot

import kibitz.ui.collector as collector_module
from kibitz.ui.collector import MainThreadCollector


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_cycles_are_freed_by_the_ui_thread_timer_only(qtbot: QtBot) -> None:
    collector = MainThreadCollector()
    try:
        assert not gc.isenabled()
        ref = weakref.ref(_Node())
        # Plenty of allocation on another thread: with automatic collection on, this is where
        # the cycle would be freed.
        kept: list[list[object]] = []
        worker = threading.Thread(target=lambda: kept.extend([] for _ in range(5_000)))
        worker.start()
        worker.join()
        assert gc.get_count()[0] > gc.get_threshold()[0]
        assert ref() is not None
        # The timer (every 0.5 s on this thread) sees the counts over the threshold.
        qtbot.waitUntil(lambda: ref() is None, timeout=10_000)
    finally:
        collector.stop()
    assert gc.isenabled()


def test_nothing_is_collected_below_the_thresholds(qtbot: QtBot) -> None:
    collector = MainThreadCollector()
    try:
        gc.collect()
        assert collector.collect_if_due() == -1
    finally:
        collector.stop()


def _full_collection_due() -> None:
    gc.collect()
    for _ in range(gc.get_threshold()[2] + 1):
        gc.collect(1)  # each one counts towards the oldest generation's threshold
    assert gc.get_count()[2] > gc.get_threshold()[2]


def test_a_full_collection_waits_while_the_app_is_busy(qtbot: QtBot) -> None:
    busy = [True]
    collector = MainThreadCollector(busy=lambda: busy[0])
    try:
        _full_collection_due()
        assert collector.collect_if_due() != 2
        assert gc.get_count()[2] > gc.get_threshold()[2]  # still due
        busy[0] = False
        assert collector.collect_if_due() == 2
        assert gc.get_count()[2] == 0
    finally:
        collector.stop()


def test_a_full_collection_waits_only_so_long(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collector_module, "MAX_POSTPONE_S", 0.0)
    collector = MainThreadCollector(busy=lambda: True)
    try:
        _full_collection_due()
        assert collector.collect_if_due() == 2
    finally:
        collector.stop()
