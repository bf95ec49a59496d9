"""ThumbnailCache on a real folder: a thumbnail is made once, reused by later calls, later
cache objects and other threads and processes, and never seen half written."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image
from tests.support import attachment_files as files

from kibitz.core.attachments.thumbnails import ThumbnailCache
from kibitz.core.errors import AttachmentError


class Blobs:
    """A blob store in memory that counts each load, as `Store.blob` would be called."""

    def __init__(self, *items: bytes) -> None:
        self.data = {hashlib.sha256(item).hexdigest(): item for item in items}
        self.loads: Counter[str] = Counter()
        self._lock = threading.Lock()

    def load(self, key: str) -> bytes:
        with self._lock:
            self.loads[key] += 1
        return self.data[key]

    def key(self, item: bytes) -> str:
        return hashlib.sha256(item).hexdigest()


def png_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        image.load()
        assert image.format == "PNG"
        return image.size


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".png"))


def test_a_thumbnail_is_made_once_and_reused(tmp_path: Path) -> None:
    picture = files.jpeg_with_orientation(1200, 600, 6)
    blobs = Blobs(picture)
    cache = ThumbnailCache(tmp_path / "thumbnails", blobs.load)
    key = blobs.key(picture)

    first = cache.path(key, 256)
    assert first.parent == tmp_path / "thumbnails"
    assert png_size(first) == (128, 256)  # upright: the stored picture is turned a quarter
    made = first.read_bytes()
    assert cache.path(key, 256) == first
    assert first.read_bytes() == made
    assert blobs.loads[key] == 1


def test_each_size_is_its_own_file(tmp_path: Path) -> None:
    picture = files.png(None, 1000, 500)
    blobs = Blobs(picture)
    cache = ThumbnailCache(tmp_path, blobs.load)
    small = cache.path(blobs.key(picture), 64)
    large = cache.path(blobs.key(picture), 512)
    assert small != large
    assert (png_size(small), png_size(large)) == ((64, 32), (512, 256))
    assert blobs.loads[blobs.key(picture)] == 2


def test_a_later_cache_on_the_same_folder_reuses_the_files(tmp_path: Path) -> None:
    picture = files.webp(300, 300)
    key = Blobs(picture).key(picture)
    first_run = Blobs(picture)
    made = ThumbnailCache(tmp_path, first_run.load).path(key, 128)

    second_run = Blobs(picture)
    assert ThumbnailCache(tmp_path, second_run.load).path(key, 128) == made
    assert second_run.loads[key] == 0


def test_threads_asking_for_the_same_thumbnail_make_it_once(tmp_path: Path) -> None:
    pictures = [files.jpeg_with_orientation(1600, 1200, o) for o in (1, 6)]
    blobs = Blobs(*pictures)
    cache = ThumbnailCache(tmp_path, blobs.load)
    keys = [blobs.key(p) for p in pictures] * 8
    start = threading.Barrier(len(keys))

    def ask(key: str) -> Path:
        start.wait()
        return cache.path(key, 256)

    with ThreadPoolExecutor(max_workers=len(keys)) as pool:
        paths = list(pool.map(ask, keys))

    assert len(set(paths)) == 2
    assert {png_size(p) for p in paths} == {(256, 192), (192, 256)}
    assert blobs.loads == Counter({blobs.key(p): 1 for p in pictures})
    assert leftovers(tmp_path) == []


_MAKE_IN_CHILD = """
import sys
from pathlib import Path
from kibitz.core.attachments.thumbnails import ThumbnailCache
folder, source, key = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
cache = ThumbnailCache(folder, lambda blob: source.read_bytes())
for side in (32, 48, 64, 96, 128, 256):
    print(cache.path(key, side))
"""


def test_processes_sharing_the_folder_each_get_whole_files(tmp_path: Path) -> None:
    picture = files.photo(1600, 1200)
    source = tmp_path / "photo.jpg"
    source.write_bytes(picture)
    folder = tmp_path / "thumbnails"
    key = Blobs(picture).key(picture)
    command = [sys.executable, "-c", _MAKE_IN_CHILD, str(folder), str(source), key]
    children = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [child.communicate(timeout=300) for child in children]
    for child, (_, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err[-2000:]
    listed = {tuple(out.split()) for out, _ in outputs}
    assert len(listed) == 1
    for side, path in zip((32, 48, 64, 96, 128, 256), next(iter(listed)), strict=True):
        assert png_size(Path(path)) == (side, side * 3 // 4)
    assert leftovers(folder) == []


def test_an_empty_file_left_by_a_crash_is_made_again(tmp_path: Path) -> None:
    picture = files.png(None, 100, 100)
    blobs = Blobs(picture)
    key = blobs.key(picture)
    (tmp_path / f"{key}-64.png").write_bytes(b"")
    path = ThumbnailCache(tmp_path, blobs.load).path(key, 64)
    assert png_size(path) == (64, 64)
    assert blobs.loads[key] == 1


def test_a_key_that_is_no_sha256_is_refused(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path, Blobs().load)
    for bad in ("../../etc/passwd", "abc", "A" * 64, ""):
        with pytest.raises(ValueError, match="not a blob key"):
            cache.path(bad, 64)
    with pytest.raises(ValueError, match="max_side"):
        cache.path("0" * 64, 0)


def test_a_missing_blob_raises_what_the_store_raises(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path, Blobs().load)
    with pytest.raises(KeyError):
        cache.path("0" * 64, 64)
    assert list(tmp_path.iterdir()) == []


def test_a_blob_that_is_no_image_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    text = b"just some text"
    blobs = Blobs(text)
    with pytest.raises(AttachmentError):
        ThumbnailCache(tmp_path, blobs.load).path(blobs.key(text), 64)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_cannot_be_made_is_an_attachment_error(tmp_path: Path) -> None:
    picture = files.png(None, 20, 20)
    blobs = Blobs(picture)
    (tmp_path / "cache").write_text("a file where the folder should be")
    cache = ThumbnailCache(tmp_path / "cache" / "thumbnails", blobs.load)
    with pytest.raises(AttachmentError) as caught:
        cache.path(blobs.key(picture), 64)
    assert caught.value.headline == "A thumbnail could not be saved"
    assert caught.value.__cause__ is None


def test_the_file_holds_the_same_png_thumbnail_png_makes(tmp_path: Path) -> None:
    from kibitz.core.attachments.images import thumbnail_png

    picture = files.gif(200, 100, frames=3)
    blobs = Blobs(picture)
    path = ThumbnailCache(tmp_path, blobs.load).path(blobs.key(picture), 50)
    assert path.read_bytes() == thumbnail_png(picture, 50)
    assert Image.open(io.BytesIO(path.read_bytes())).size == (50, 25)
