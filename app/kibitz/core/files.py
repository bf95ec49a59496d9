"""Files written whole or not at all: the bytes go to a temporary file in the same folder,
which is then renamed over the target (atomic on POSIX and Windows), so a crash or a full disk
never leaves half a file where the next start reads it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(
    path: Path, data: bytes | bytearray | memoryview, *, durable: bool = False
) -> None:
    """Replace `path` with `data`, making its folder if needed. The temporary file is private
    to the user (mkstemp: 0600) and removed on failure. `durable`: on disk before the rename,
    for what must survive a power cut (drafts), not for caches. Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:16]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
