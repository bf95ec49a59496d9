"""Field metadata for the settings schema and the one validator that enforces it.

Each settings section is a frozen dataclass whose fields carry `meta(...)`: help text, range,
choices. `validate_section` runs in every section's `__post_init__`, so a section can never
hold a value outside its declared range, however it was built (constructor, `replace()`, the
generic dotted-path setter, or a file).
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from kibitz.core import errors

_META_KEY = "kibitz"
_REPR_LIMIT = 60

# An extra check for one field: returns the reason a value is refused, or None when it is fine.
Check = Callable[[Any], str | None]


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """What the settings dialog and the CLI show for one setting."""

    help: str
    label: str = ""
    min: float | None = None
    max: float | None = None
    max_items: int | None = None  # for lists
    nonempty: bool = False  # for text
    unit: str = ""
    check: Check | None = None


def meta(
    help: str,
    *,
    label: str = "",
    min: float | None = None,
    max: float | None = None,
    max_items: int | None = None,
    nonempty: bool = False,
    unit: str = "",
    check: Check | None = None,
) -> dict[str, FieldInfo]:
    """Field metadata for `dataclasses.field(metadata=...)`."""
    info = FieldInfo(help, label, min, max, max_items, nonempty, unit, check)
    return {_META_KEY: info}


def field_info(f: dataclasses.Field[Any]) -> FieldInfo:
    info = f.metadata.get(_META_KEY)
    if not isinstance(info, FieldInfo):
        raise TypeError(f"settings field {f.name} has no meta(...)")
    return info


class InvalidSettingError(errors.InvalidValueError):
    """A setting was given a value outside what the schema allows."""

    def __init__(
        self, path: str, value: object, allowed: str, *, reason: str | None = None
    ) -> None:
        super().__init__(
            reason or f"{_short_repr(value)} is not allowed",
            headline=f"Invalid value for setting {path}",
            hint=f"Use {allowed}.",
        )
        self.path = path
        self.value = value
        self.allowed = allowed


def _short_repr(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 3] + "..."


@dataclass(frozen=True, slots=True)
class FieldType:
    """A field's type reduced to what validation needs."""

    base: Any  # str, int, float, bool, a Literal, tuple[...], Mapping[...] or a dataclass
    optional: bool


def field_type(cls: type, name: str) -> FieldType:
    hints = _hints(cls)
    tp = hints[name]
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"settings field {cls.__name__}.{name}: one type or None only")
        return FieldType(args[0], True)
    return FieldType(tp, False)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def describe(ft: FieldType, info: FieldInfo) -> str:
    """The allowed values in words, for error messages and `--help`."""
    base, origin = ft.base, get_origin(ft.base)
    if origin is Literal:
        text = "one of " + ", ".join(str(a) for a in get_args(base))
    elif base is bool:
        text = "true or false"
    elif base in (int, float):
        noun = "a whole number" if base is int else "a number"
        if info.min is not None and info.max is not None:
            text = f"{noun} from {_num(info.min)} to {_num(info.max)}"
        elif info.min is not None:
            text = f"{noun} of at least {_num(info.min)}"
        elif info.max is not None:
            text = f"{noun} of at most {_num(info.max)}"
        else:
            text = noun
    elif base is str:
        text = "non-empty text" if info.nonempty else "text"
    elif origin is tuple:
        limit = f"at most {info.max_items} " if info.max_items is not None else ""
        text = f"a list of {limit}non-empty texts"
    elif origin is Mapping:
        text = "a table of text names to text values"
    else:
        text = f"a {getattr(base, '__name__', base)}"
    if info.unit:
        text += f" ({info.unit})"
    return text + (", or nothing for the default" if ft.optional else "")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def coerce(path: str, ft: FieldType, info: FieldInfo, value: object) -> object:
    """Return `value` in its canonical form, or raise InvalidSettingError naming the setting."""
    if value is None and ft.optional:
        return None
    result = _coerce_base(ft.base, info, value)
    if result is _BAD:
        raise InvalidSettingError(path, value, describe(ft, info))
    if info.check is not None:
        reason = info.check(result)
        if reason is not None:
            # The check's reason replaces the value in the message: it may be a header value
            # someone pasted a key into, which must not end up in a log or a dialog.
            raise InvalidSettingError(path, value, describe(ft, info), reason=reason)
    return result


_BAD = object()


def _coerce_base(base: Any, info: FieldInfo, value: object) -> object:
    origin = get_origin(base)
    if origin is Literal:
        return value if isinstance(value, str) and value in get_args(base) else _BAD
    if base is bool:
        return value if isinstance(value, bool) else _BAD
    if base is int or base is float:
        # bool is an int subclass; `true` for a number is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _BAD
        if base is int and not (isinstance(value, int) or float(value).is_integer()):
            return _BAD
        number: float = int(value) if base is int else float(value)
        if not math.isfinite(number):
            return _BAD
        if (info.min is not None and number < info.min) or (
            info.max is not None and number > info.max
        ):
            return _BAD
        return number
    if base is str:
        if not isinstance(value, str) or (info.nonempty and not value.strip()):
            return _BAD
        return value
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            return _BAD
        if info.max_items is not None and len(value) > info.max_items:
            return _BAD
        (item_type, _ellipsis) = get_args(base)
        if item_type is str:
            ok = all(isinstance(v, str) and v for v in value)
        else:
            ok = all(isinstance(v, item_type) for v in value)
        return tuple(value) if ok else _BAD
    if origin is Mapping:
        if not isinstance(value, Mapping):
            return _BAD
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            return _BAD
        return types.MappingProxyType(dict(value))
    raise TypeError(f"unsupported settings type {base!r}")


def validate_section(obj: object) -> None:
    """Check and canonicalise every field of a section; for `__post_init__`."""
    cls = type(obj)
    prefix = getattr(cls, "SECTION", cls.__name__)
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        ft = field_type(cls, f.name)
        value = coerce(f"{prefix}.{f.name}", ft, field_info(f), getattr(obj, f.name))
        # Frozen dataclass: canonicalising (int -> float, list -> tuple) needs the back door.
        object.__setattr__(obj, f.name, value)


_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_NONE = frozenset({"", "none", "default"})


def parse_text(path: str, ft: FieldType, info: FieldInfo, text: str) -> object:
    """Turn what a user typed (CLI, a text box) into a typed value; `coerce` still applies."""
    raw = text.strip()
    base, origin = ft.base, get_origin(ft.base)
    if origin is Literal and raw in get_args(base):
        return raw  # reasoning_effort "none" is a value, not "not set"
    if ft.optional and raw.lower() in _NONE:
        return None
    try:
        if base is bool:
            if raw.lower() in _TRUE:
                return True
            if raw.lower() in _FALSE:
                return False
            raise ValueError(raw)
        if base is int:
            return int(raw)
        if base is float:
            return float(raw)
        if origin is tuple:
            # A JSON list for several entries; anything else is one entry.
            return json.loads(raw) if raw.startswith("[") else [text]
        if origin is Mapping:
            return json.loads(raw)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError too
        raise InvalidSettingError(path, text, describe(ft, info)) from exc
    return text


def section_from(cls: type[Any], prefix: str, raw: Mapping[str, Any], warnings: list[str]) -> Any:
    """An instance of the section `cls` from its table `raw`: unknown keys and bad values are
    left out (their defaults used) and said in `warnings`, under their path `prefix.key`."""
    known = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        f = known.get(key)
        if f is None:
            warnings.append(f"unknown setting {prefix}.{key} ignored")
            continue
        try:
            kwargs[key] = coerce(f"{prefix}.{key}", field_type(cls, key), field_info(f), value)
        except InvalidSettingError as exc:
            warnings.append(f"{exc} (expected {exc.allowed}); the default is used instead")
    return cls(**kwargs)
