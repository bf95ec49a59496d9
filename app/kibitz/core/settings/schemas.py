"""Named JSON Schemas for structured output: added, replaced, renamed and removed in Settings.

Settings are immutable; these return a new Settings, validated like every other setting.
"""

from __future__ import annotations

import dataclasses

from kibitz.core.chat.structured_output import schema_format
from kibitz.core.settings.schema import OutputSchema, SchemasSettings, Settings

__all__ = ["OutputSchema", "chosen_format", "with_schema", "without_schema"]


def with_schema(
    settings: Settings, schema: OutputSchema, *, replacing: str | None = None
) -> Settings:
    """Add `schema`, or replace the one named `replacing` (or `schema.name`) in place."""
    old = replacing if replacing is not None else schema.name
    schemas = settings.schemas
    if schemas.schema(old) is None:
        items = (*schemas.items, schema)
    else:
        items = tuple(schema if s.name == old else s for s in schemas.items)
    return dataclasses.replace(settings, schemas=SchemasSettings(items))


def without_schema(settings: Settings, name: str) -> Settings:
    items = tuple(s for s in settings.schemas.items if s.name != name)
    return dataclasses.replace(settings, schemas=SchemasSettings(items))


def chosen_format(schema: OutputSchema) -> str:
    """What a conversation keeps when it picks `schema` (RequestParams.json_schema)."""
    return schema_format(schema.name, schema.schema, strict=schema.strict)
