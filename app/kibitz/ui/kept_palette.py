"""The first frame's palette, kept from the last start.

The palette comes from the style (style.made_palette), and the first call into the style
makes PySide build QStyle's Python type with all its enums: ~4 ms of the first frame. So the
start sets the palette the last start made, while that was made for the same theme setting
and colour scheme, on the same platform and Qt; once the frame is painted, `confirm_palette`
makes it as before and, where it differs (the desktop's theme changed meanwhile), sets it
and keeps it for the next start.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from PySide6.QtCore import qVersion
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from kibitz.core.files import write_atomically
from kibitz.ui.style import made_palette, set_color_scheme

log = logging.getLogger(__name__)

_GROUPS = ("Active", "Inactive", "Disabled")
# What else decides the palette: the desktop's choice of platform theme and style.
_ENVIRONMENT = ("QT_QPA_PLATFORMTHEME", "QT_STYLE_OVERRIDE", "XDG_CURRENT_DESKTOP")


def _stamp(app: QApplication, theme: str) -> list[str]:
    scheme = app.styleHints().colorScheme().name
    return [
        theme,
        scheme,
        app.platformName(),
        qVersion(),
        *(os.environ.get(n, "") for n in _ENVIRONMENT),
    ]


def _roles() -> list[QPalette.ColorRole]:
    return [r for r in QPalette.ColorRole if r.name not in ("NoRole", "NColorRoles")]


def _channels(colour: QColor) -> list[int]:
    rgba = colour.rgba64()
    return [rgba.red(), rgba.green(), rgba.blue(), rgba.alpha()]


def apply_kept_palette(app: QApplication, theme: str, path: Path) -> bool:
    """Set the colour scheme of `theme`, and the palette kept in `path` if it was made for
    this theme and desktop; False when it was not (only the colour scheme is set then)."""
    set_color_scheme(app, theme)
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if kept["stamp"] != _stamp(app, theme):
            return False
        palette = QPalette()
        roles = {role.name for role in _roles()}
        for group_name, colours in zip(_GROUPS, kept["colours"], strict=True):
            group = QPalette.ColorGroup[group_name]
            if set(colours) != roles:  # every role, or the first frame would mix in defaults
                raise ValueError(f"roles missing or unknown in {group_name}")
            for role_name, channels in colours.items():
                # 16 bits a channel, as the style makes them (#rrggbb would round them)
                if len(channels) != 4 or not all(
                    type(c) is int and 0 <= c <= 0xFFFF for c in channels
                ):
                    raise ValueError(f"not a colour: {channels!r}")
                colour = QColor.fromRgba64(*channels)
                palette.setColor(group, QPalette.ColorRole[role_name], colour)
    except FileNotFoundError:
        return False
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.info("the kept palette is unusable (%s): made afresh", exc)
        return False
    app.setPalette(palette)
    return True


def confirm_palette(app: QApplication, theme: str, path: Path) -> None:
    """The palette of `theme` made as `style.apply_palette` makes it: set if the one set
    differs, and kept in `path` for the next start if the kept one differs."""
    palette = made_palette(app, theme)
    if palette != app.palette():
        app.setPalette(palette)
    colours = [
        {role.name: _channels(palette.color(QPalette.ColorGroup[group], role)) for role in _roles()}
        for group in _GROUPS
    ]
    kept = {"stamp": _stamp(app, theme), "colours": colours}
    try:
        if path.is_file() and json.loads(path.read_text(encoding="utf-8")) == kept:
            return
    except (OSError, ValueError):
        pass  # written again below
    try:
        write_atomically(path, json.dumps(kept).encode())
    except OSError as exc:  # only the next start's 4 ms are lost
        log.info("could not keep the palette: %s", exc)
