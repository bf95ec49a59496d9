"""Where the recorded server traffic lives: tests/fixtures/recordings (a copy of the
team's shared recordings, kept in the repository so a fresh clone anywhere has them)."""

from pathlib import Path

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "recordings"
