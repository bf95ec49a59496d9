"""The [ui] section read on its own, for the app's first frame (theme, text size, send key).

Loading the settings builds the whole schema: ~30 dataclasses, ~12 ms of imports that the
first frame would wait for. This reads the one section that frame needs, with the section's
own checks (a bad value is its default). It neither migrates nor tells of problems: the full
load just after the frame (storage.load_settings) decides, says what it could not use, and
where its [ui] differs from this one, the window takes the difference as a change.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from kibitz.core.settings.fields import section_from
from kibitz.core.settings.sections.ui import UiSettings


def read_ui(path: Path) -> UiSettings:
    """The [ui] settings in the file at `path`; defaults for whatever cannot be read."""
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return UiSettings()
    raw = data.get(UiSettings.SECTION)
    if not isinstance(raw, Mapping):
        return UiSettings()
    section: UiSettings = section_from(UiSettings, UiSettings.SECTION, raw, [])
    return section
