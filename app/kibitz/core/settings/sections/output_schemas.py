"""The [schemas] section: named JSON Schemas replies can be asked to follow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from kibitz.core.settings.fields import InvalidSettingError, meta, validate_section


def _check_schema_name(value: object) -> str | None:
    if isinstance(value, str) and (value != value.strip() or len(value) > 64):
        return f"{value!r}: at most 64 characters, no spaces at either end"
    return None


def _check_schema_json(value: object) -> str | None:
    # The cheap part only (JSON, an object schema at the root): a settings file loads without
    # the JSON Schema library; Settings → Schemas runs the whole check before it saves.
    if not isinstance(value, str):
        return None
    from kibitz.core.chat.structured_output import parse_schema

    return parse_schema(value)[1]


@dataclass(frozen=True, slots=True)
class OutputSchema:
    """A named JSON Schema a conversation can ask replies to follow (structured output)."""

    SECTION: ClassVar[str] = "schemas.items"

    name: str = field(
        metadata=meta("A name for this schema.", nonempty=True, check=_check_schema_name)
    )
    schema: str = field(
        default='{"type": "object"}',
        metadata=meta("The JSON Schema, as JSON text.", check=_check_schema_json),
    )
    strict: bool = field(
        default=True,
        metadata=meta("Ask the server to follow the schema exactly (OpenAI's strict mode)."),
    )

    def __post_init__(self) -> None:
        validate_section(self)


@dataclass(frozen=True, slots=True)
class SchemasSettings:
    SECTION: ClassVar[str] = "schemas"

    items: tuple[OutputSchema, ...] = field(
        default=(), metadata=meta("JSON Schemas for structured output.")
    )

    def __post_init__(self) -> None:
        validate_section(self)
        names = [s.name for s in self.items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidSettingError(
                "schemas.items", duplicates, "unique schema names",
                reason=f"schema names must be unique; used twice: {', '.join(duplicates)}",
            )  # fmt: skip

    def schema(self, name: str) -> OutputSchema | None:
        return next((s for s in self.items if s.name == name), None)
