"""A large database opened without its integrity check: checked on the worker thread once the
window is up, damage told in one notice, nothing told when it is sound."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kibitz.core.store import Store, database
from kibitz.core.types import Role
from kibitz.ui.controllers.store_check import TASK, check_store_later
from kibitz.ui.notify import Notice
from kibitz.ui.tasks import TaskRunner


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=1)
    yield pool
    pool.shutdown(wait=True)


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "SYNC_CHECK_MAX_BYTES", 10_000)  # these files are "large"


def _fill(path: Path) -> None:
    rng = random.Random(5)
    with Store.open(path) as store:
        for i in range(30):
            conv = store.create_conversation(f"conversation {i}")
            text = " ".join(rng.choice(["alpha", "beta", "gamma"]) for _ in range(3000))
            store.add_message(conv.id, None, Role.USER, text)


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = (len(data) // 4096 // 2) * 4096
    data[middle : middle + 4096] = random.Random(3).randbytes(4096)
    path.write_bytes(bytes(data))


async def _run_check(path: Path, executor: ThreadPoolExecutor) -> list[Notice]:
    notices: list[Notice] = []
    runner = TaskRunner()
    with Store.open(path, check_later=True) as store:
        assert store.check_pending
        check_store_later(store, executor, runner, notices.append)
        assert runner.running(TASK)
        while runner.running(TASK):
            await asyncio.sleep(0.01)
        assert not store.check_pending
    return notices


@pytest.mark.asyncio
async def test_damage_found_after_the_start_is_told_once(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    path = tmp_path / "kibitz.sqlite3"
    _fill(path)
    _damage(path)

    notices = await _run_check(path, executor)

    assert len(notices) == 1
    assert notices[0].kind == "error"
    assert notices[0].timeout_ms == 0  # stays until dismissed
    assert "start Kibitz again" in notices[0].text
    assert database.damaged_marker(path).exists()


@pytest.mark.asyncio
async def test_a_sound_database_is_checked_quietly(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    path = tmp_path / "kibitz.sqlite3"
    _fill(path)

    assert await _run_check(path, executor) == []
    assert not database.damaged_marker(path).exists()


def test_nothing_runs_for_a_store_checked_at_open(
    tmp_path: Path, executor: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "SYNC_CHECK_MAX_BYTES", 1 << 40)
    path = tmp_path / "kibitz.sqlite3"
    _fill(path)
    runner = TaskRunner()
    with Store.open(path, check_later=True) as store:
        check_store_later(store, executor, runner, lambda _n: None)
        assert not runner.running(TASK)
