"""MediaServices: what the windows share for attachments — the media worker, the thumbnails,
and the private folder files are copied to when opened."""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

from PySide6.QtCore import QObject

from kibitz.core.store import Store
from kibitz.ui.attachments.jobs import MediaJobs
from kibitz.ui.attachments.thumbnails import ThumbnailLoader

THUMBNAILS = "thumbnails"  # under the cache folder


class MediaServices(QObject):
    def __init__(self, store: Store, cache_dir: Path | None, parent: QObject | None = None) -> None:
        """`cache_dir`: the app's cache folder, where thumbnails are kept (None: nowhere,
        they are made whenever needed)."""
        super().__init__(parent)
        self.store = store
        self.jobs = MediaJobs(self)
        folder = cache_dir / THUMBNAILS if cache_dir is not None else None
        self.thumbnails = ThumbnailLoader(self.jobs, store, folder, self)
        self._copies: Path | None = None
        self._lock = threading.Lock()

    def copies_folder(self) -> Path:
        """A private folder (0700) for the copies of files opened in other applications,
        made on first use (on the worker), removed by `shutdown`."""
        with self._lock:
            if self._copies is None:
                self._copies = Path(tempfile.mkdtemp(prefix="kibitz-files-"))
            return self._copies

    def shutdown(self) -> None:
        """Kibitz quits: no more jobs, and the copies made for opening go."""
        self.jobs.shutdown()
        with self._lock:
            if self._copies is not None:
                shutil.rmtree(self._copies, ignore_errors=True)
                self._copies = None
