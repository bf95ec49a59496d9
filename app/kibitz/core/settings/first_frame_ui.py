"""The [ui] values the window's first frame needs (theme, text size, send key), kept from the
last full load so that the next start has them without reading the settings file.

Reading [ui] from the file (early_ui: tomllib and the section's checks) costs ~4 ms of the
first frame; this snapshot is one small JSON file. It is used only while the settings file is
the one it was taken from (the same size and modification time, or still absent); the full
load after the frame decides, and the window applies any difference as a change.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from kibitz.core.files import write_atomically

if TYPE_CHECKING:
    from kibitz.core.settings.sections.ui import UiSettings

log = logging.getLogger(__name__)


class FirstFrameUi(NamedTuple):
    theme: str
    font_size: int | None
    send_key: str

    @classmethod
    def of(cls, ui: UiSettings) -> FirstFrameUi:
        return cls(ui.theme, ui.font_size, ui.send_key)


def _stamp(settings_file: Path) -> list[int] | None:
    """What identifies this version of the settings file; None while there is none."""
    try:
        info = settings_file.stat()
    except OSError:
        return None
    return [info.st_mtime_ns, info.st_size]


def read_snapshot(snapshot: Path, settings_file: Path) -> FirstFrameUi | None:
    """The values kept in `snapshot`, if they were taken from the settings file as it is."""
    try:
        data: Any = json.loads(snapshot.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("settings") != _stamp(settings_file):
        return None
    ui = data.get("ui")
    if not isinstance(ui, dict):
        return None
    theme, size, send_key = ui.get("theme"), ui.get("font_size"), ui.get("send_key")
    sized = size is None or (isinstance(size, int) and not isinstance(size, bool) and size > 0)
    if not (isinstance(theme, str) and isinstance(send_key, str) and sized):
        return None
    return FirstFrameUi(theme, size, send_key)


def write_snapshot(snapshot: Path, settings_file: Path, values: FirstFrameUi) -> None:
    """Keep `values` for the next start, taken from the settings file as it is now. A failure
    only costs the next start the slower read: logged, not raised."""
    data = {"settings": _stamp(settings_file), "ui": values._asdict()}
    try:
        write_atomically(snapshot, json.dumps(data).encode())
    except OSError as exc:
        log.info("could not keep the first frame's settings in %s: %s", snapshot, exc)
