"""Structured output: JSON Schemas a reply must follow (OpenAI's `json_schema` response format).

A conversation keeps the whole chosen format, not a schema's name, so it, its exports and the
CLI stay self-contained: `RequestParams.json_schema` holds the JSON text of
{"name": ..., "schema": {...}, "strict": true}, sent as
{"type": "json_schema", "json_schema": <that object>}.

`check_schema_text` is what Settings and `kibitz ask --json-schema` run before accepting a
schema: errors refuse it, warnings say where OpenAI's strict mode would refuse it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kibitz.core.errors import InvalidValueError

# OpenAI's rule for the format's name: letters, digits, '_' and '-', at most 64.
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
_NAME_MAX = 64
_MESSAGE_MAX = 220  # jsonschema can quote a whole subschema in its message


@dataclass(frozen=True, slots=True)
class SchemaCheck:
    """What checking a schema found: errors refuse it, warnings only tell."""

    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


class SchemaFileError(InvalidValueError):
    """A --json-schema file that cannot be used; `lines()` names the file and the fix."""

    code = "json_schema_file"
    default_headline = "The JSON Schema file cannot be used"
    default_hint = "Give a file holding one JSON Schema whose root is an object schema."


def wire_name(name: str) -> str:
    """`name` as OpenAI takes it ("Invoice fields" -> "Invoice_fields")."""
    return _NAME_CHARS.sub("_", name).strip("_")[:_NAME_MAX] or "schema"


def _short(text: str) -> str:
    return text if len(text) <= _MESSAGE_MAX else text[: _MESSAGE_MAX - 1] + "…"


def _place(path: Any) -> str:
    parts = [str(p) for p in path]
    return "at the root" if not parts else "at /" + "/".join(parts)


def parse_schema(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """(the schema, None) or (None, why not): JSON that parses to an object whose root is
    an object schema. Cheap: no JSON Schema library is loaded (settings files use it)."""
    if not text.strip():
        return None, "The schema is empty: paste a JSON Schema, or load one from a file."
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"This is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
    if not isinstance(schema, dict):
        kind = type(schema).__name__ if schema is not None else "null"
        return None, f"A JSON Schema is a JSON object ({{...}}), not a {kind}."
    if schema.get("type") != "object":
        return None, (
            'The root must be an object schema ("type": "object"): a structured reply is '
            "a JSON object."
        )
    return schema, None


def check_schema_text(text: str, *, strict: bool) -> SchemaCheck:
    """Check a schema as typed or loaded: JSON, a valid JSON Schema (draft 2020-12), an
    object at the root; with `strict`, warn where OpenAI's strict mode would refuse it."""
    schema, problem = parse_schema(text)
    if schema is None:
        return SchemaCheck(errors=(problem or "",))
    # Loaded here, not at start-up: ~90 ms, needed only when a schema is checked.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = _place(exc.absolute_path)
        return SchemaCheck(errors=(_short(f"Not a valid JSON Schema {where}: {exc.message}."),))
    return SchemaCheck(warnings=tuple(strict_warnings(schema)) if strict else ())


def strict_warnings(schema: Mapping[str, Any]) -> Iterator[str]:
    """Where strict mode would refuse `schema`: each object schema must say
    additionalProperties: false and list every property in required."""
    for path, node in _subschemas(schema, ()):
        if not _is_object_schema(node):
            continue
        where = _place(path)
        where = where[0].upper() + where[1:]
        if node.get("additionalProperties") is not False:
            yield (
                f'{where}: set "additionalProperties": false '
                "(strict mode refuses an object schema without it)."
            )
        properties = node.get("properties")
        if isinstance(properties, Mapping):
            required = node.get("required")
            listed = set(required) if isinstance(required, list) else set()
            missing = [name for name in properties if name not in listed]
            if missing:
                names = ", ".join(f'"{name}"' for name in missing)
                yield (
                    f'{where}: {names} missing from "required" (strict mode '
                    'needs every property there; for an optional one allow "null" in its type).'
                )


def _is_object_schema(node: Mapping[str, Any]) -> bool:
    kind = node.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind)


_CHILD_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_CHILD_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")
_CHILD_ONE = ("items", "additionalProperties", "not", "contains")


def _subschemas(
    node: Any, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any]]]:
    """Every schema inside `node` (itself first), with its JSON Pointer path."""
    if not isinstance(node, Mapping):
        return
    yield path, node
    for key in _CHILD_MAPS:
        children = node.get(key)
        if isinstance(children, Mapping):
            for name, child in children.items():
                yield from _subschemas(child, (*path, key, str(name)))
    for key in _CHILD_LISTS:
        children = node.get(key)
        if isinstance(children, list):
            for index, child in enumerate(children):
                yield from _subschemas(child, (*path, key, str(index)))
    for key in _CHILD_ONE:
        yield from _subschemas(node.get(key), (*path, key))


# -- the format a conversation keeps -----------------------------------------------------------


def schema_format(name: str, schema_text: str, *, strict: bool) -> str:
    """The JSON text a conversation keeps in `RequestParams.json_schema` (compact, so the
    same schema always gives the same text). `schema_text` must have passed `parse_schema`."""
    format_ = {"name": wire_name(name), "schema": json.loads(schema_text), "strict": strict}
    return json.dumps(format_, ensure_ascii=False, separators=(",", ":"))


def format_problem(text: str) -> str | None:
    """Why a stored `json_schema` value (an import, a hand-edited file) cannot be sent, or
    None when it can."""
    try:
        format_ = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"it is not valid JSON ({exc.msg})"
    if not isinstance(format_, dict) or not isinstance(format_.get("name"), str):
        return 'it should be a JSON object with a "name"'
    if not isinstance(format_.get("schema"), dict):
        return 'its "schema" should be a JSON object'
    if not isinstance(format_.get("strict", False), bool):
        return 'its "strict" should be true or false'
    return None


def format_name(text: str) -> str | None:
    """The schema's name inside a stored format (what the conversation settings show)."""
    try:
        format_ = json.loads(text)
    except json.JSONDecodeError:
        return None
    name = format_.get("name") if isinstance(format_, dict) else None
    return name if isinstance(name, str) else None


def response_format_body(json_schema: str) -> dict[str, Any]:
    """The request's `response_format` for a stored format."""
    return {"type": "json_schema", "json_schema": json.loads(json_schema)}


def format_from_file(path: Path) -> tuple[str, tuple[str, ...]]:
    """(the format to send, strict-mode warnings) from a file holding a JSON Schema, or one
    already wrapped as {"name", "schema", "strict"} (the name defaults to the file's).

    Raises SchemaFileError with a line naming the file and the problem.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SchemaFileError(
            headline=f"Cannot read the JSON Schema file {path}", detail=reason,
            hint="Give the path of a UTF-8 text file holding a JSON Schema.",
        ) from exc  # fmt: skip
    name, strict = path.stem, True
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None  # check_schema_text says where the JSON breaks
    if isinstance(data, dict) and isinstance(data.get("schema"), dict) and "type" not in data:
        name = data["name"] if isinstance(data.get("name"), str) else name
        strict = data["strict"] if isinstance(data.get("strict"), bool) else strict
        text = json.dumps(data["schema"], ensure_ascii=False)
    check = check_schema_text(text, strict=strict)
    if not check.ok:
        raise SchemaFileError(
            headline=f"{path} is not a usable JSON Schema",
            detail=check.errors[0],
            hint="Fix the file, or check it with a JSON Schema validator; the root must be "
            '{"type": "object", ...}.',
        )
    return schema_format(name, text, strict=strict), check.warnings
