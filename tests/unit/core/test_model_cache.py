"""The model-list cache: keyed by profile and base URL, stale after a day, corrupt files ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kibitz.core.server_models import CACHE_FILE, STALE_AFTER_S, ModelCache

URL = "http://127.0.0.1:8080/v1"


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_put_then_get_in_a_new_instance(tmp_path: Path) -> None:
    clock = Clock()
    ModelCache(tmp_path, clock=clock).put("local", URL, ["b", "a"])
    cached = ModelCache(tmp_path, clock=clock).get("local", URL)
    assert cached is not None
    assert (cached.models, cached.fetched_at, cached.stale) == (("b", "a"), clock.now, False)
    assert (tmp_path / CACHE_FILE).is_file()


def test_lists_are_kept_per_profile_and_base_url(tmp_path: Path) -> None:
    cache = ModelCache(tmp_path)
    cache.put("local", URL, ["llama"])
    cache.put("local", "http://127.0.0.1:11434/v1", ["qwen"])
    cache.put("work", URL, ["gpt-4o"])
    assert cache.get("local", URL + "/") is not None  # a trailing slash is the same server
    found = {k: cache.get(*k) for k in [("local", URL), ("work", URL)]}
    assert {k: v.models if v else None for k, v in found.items()} == {
        ("local", URL): ("llama",),
        ("work", URL): ("gpt-4o",),
    }
    got = cache.get("local", "http://127.0.0.1:11434/v1")
    assert got is not None
    assert got.models == ("qwen",)
    assert cache.get("nobody", URL) is None


def test_a_list_older_than_a_day_is_stale_but_still_shown(tmp_path: Path) -> None:
    clock = Clock()
    cache = ModelCache(tmp_path, clock=clock)
    cache.put("local", URL, ["llama"])
    clock.now += STALE_AFTER_S - 1
    fresh = cache.get("local", URL)
    assert fresh is not None
    assert not fresh.stale
    clock.now += 2
    old = cache.get("local", URL)
    assert old is not None
    assert old.stale
    assert old.models == ("llama",)


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe garbage",
        b"[1, 2, 3]",
        b'{"entries": "nope"}',
    ],
)
def test_a_corrupt_file_is_ignored_and_rewritten(tmp_path: Path, content: bytes) -> None:
    (tmp_path / CACHE_FILE).write_bytes(content)
    cache = ModelCache(tmp_path)
    assert cache.get("local", URL) is None
    cache.put("local", URL, ["llama"])
    data = json.loads((tmp_path / CACHE_FILE).read_text(encoding="utf-8"))
    assert [e["models"] for e in data["entries"]] == [["llama"]]
    got = cache.get("local", URL)
    assert got is not None
    assert got.models == ("llama",)


def test_bad_entries_are_skipped_good_ones_kept(tmp_path: Path) -> None:
    good = {"profile": "local", "base_url": URL, "models": ["llama"], "fetched_at": 5.0}
    bad = [
        {"profile": "x", "base_url": URL, "models": "llama", "fetched_at": 5.0},
        {"profile": "y", "base_url": URL, "models": [1], "fetched_at": 5.0},
        {"profile": "z", "base_url": URL, "models": [], "fetched_at": True},
        "nonsense",
    ]
    (tmp_path / CACHE_FILE).write_text(json.dumps({"version": 1, "entries": [*bad, good]}))
    cache = ModelCache(tmp_path)
    assert cache.get("local", URL) is not None
    assert all(cache.get(p, URL) is None for p in "xyz")


def test_forget_drops_a_profiles_lists(tmp_path: Path) -> None:
    cache = ModelCache(tmp_path)
    cache.put("local", URL, ["llama"])
    cache.put("work", URL, ["gpt-4o"])
    cache.forget("local")
    assert cache.get("local", URL) is None
    assert cache.get("work", URL) is not None


def test_an_unwritable_cache_folder_costs_nothing_but_the_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = ModelCache(blocker / "cache")
    result = cache.put("local", URL, ["llama"])  # logged, not raised
    assert result.models == ("llama",)
    assert cache.get("local", URL) is None
