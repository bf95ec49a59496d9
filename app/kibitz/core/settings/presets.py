"""System-prompt presets: named texts a conversation can start from, one of them the default.

Settings are immutable; these return a new Settings with one preset added, replaced, renamed,
removed or made the default, validated like every other setting.
"""

from __future__ import annotations

import dataclasses

from kibitz.core.settings.schema import Preset, PresetsSettings, Settings

__all__ = ["Preset", "default_prompt", "with_default", "with_preset", "without_preset"]


def default_prompt(settings: Settings) -> str | None:
    """The default preset's text for a new conversation; None when there is none (or blank)."""
    preset = settings.presets.preset(settings.presets.default or "")
    return preset.text.strip() or None if preset is not None else None


def with_preset(settings: Settings, preset: Preset, *, replacing: str | None = None) -> Settings:
    """Add `preset`, or replace the one named `replacing` (or `preset.name`) in place."""
    old = replacing if replacing is not None else preset.name
    presets = settings.presets
    if presets.preset(old) is None:
        items = (*presets.items, preset)
    else:
        items = tuple(preset if p.name == old else p for p in presets.items)
    default = preset.name if presets.default == old else presets.default
    return dataclasses.replace(settings, presets=PresetsSettings(items, default))


def without_preset(settings: Settings, name: str) -> Settings:
    presets = settings.presets
    items = tuple(p for p in presets.items if p.name != name)
    default = None if presets.default == name else presets.default
    return dataclasses.replace(settings, presets=PresetsSettings(items, default))


def with_default(settings: Settings, name: str | None) -> Settings:
    """Make `name` the preset of new conversations (None: new conversations get none)."""
    return dataclasses.replace(
        settings, presets=dataclasses.replace(settings.presets, default=name)
    )
