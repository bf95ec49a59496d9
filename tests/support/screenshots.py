"""Where tests save screenshots for review: $KIBITZ_TEST_SCREENSHOTS (tests/run.sh sets it),
else a folder under the test's own tmp_path."""

from __future__ import annotations

import os
from pathlib import Path


def shots_dir(tmp_path: Path) -> Path:
    shots = os.environ.get("KIBITZ_TEST_SCREENSHOTS")
    target = Path(shots) if shots else tmp_path / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target
