"""The [presets] section: named system prompts, one of them the default."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from kibitz.core.settings.fields import InvalidSettingError, meta, validate_section


def _check_preset_name(value: object) -> str | None:
    if isinstance(value, str) and (value != value.strip() or len(value) > 80):
        return f"{value!r}: at most 80 characters, no spaces at either end"
    return None


@dataclass(frozen=True, slots=True)
class Preset:
    """A named system prompt."""

    SECTION: ClassVar[str] = "presets.items"

    name: str = field(
        metadata=meta("A name for this system prompt.", nonempty=True, check=_check_preset_name)
    )
    text: str = field(default="", metadata=meta("The system prompt itself."))

    def __post_init__(self) -> None:
        validate_section(self)


@dataclass(frozen=True, slots=True)
class PresetsSettings:
    SECTION: ClassVar[str] = "presets"

    items: tuple[Preset, ...] = field(default=(), metadata=meta("System-prompt presets."))
    default: str | None = field(
        default=None, metadata=meta("The preset new conversations start with; none: no prompt.")
    )

    def __post_init__(self) -> None:
        validate_section(self)
        names = [p.name for p in self.items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidSettingError(
                "presets.items",
                duplicates,
                "unique preset names",
                reason=f"preset names must be unique; used twice: {', '.join(duplicates)}",
            )
        if self.default is not None and self.default not in names:
            raise InvalidSettingError(
                "presets.default",
                self.default,
                f"a preset name ({', '.join(names) or 'none exist'})",
                reason=f"{self.default!r} names no preset",
            )

    def preset(self, name: str) -> Preset | None:
        return next((p for p in self.items if p.name == name), None)
