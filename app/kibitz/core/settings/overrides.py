"""A conversation's own request parameters: which it overrides, setting and resetting them.

Every value is checked against the same schema as the global defaults (`RequestDefaults`
field metadata), so the conversation settings and the CLI refuse what Settings refuses, with
the same allowed range in the message. None always means "not overridden: use the default".
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kibitz.core.models import model_limits
from kibitz.core.settings.fields import FieldType, InvalidSettingError, coerce, parse_text
from kibitz.core.settings.schema import RequestDefaults, Settings, SettingSpec, spec_for
from kibitz.core.types import Conversation, RequestParams

# The parameters a conversation can override, in the schema's order.
PARAM_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(RequestDefaults))


def overrides(conversation: Conversation | RequestParams) -> dict[str, Any]:
    """{name: value} of what the conversation sets itself, in schema order; the rest comes
    from the defaults. Values are as stored (`stop` is a tuple)."""
    params = conversation.params if isinstance(conversation, Conversation) else conversation
    found = {name: getattr(params, name) for name in PARAM_NAMES}
    return {name: value for name, value in found.items() if value is not None}


def effective_params(settings: Settings, conversation: Conversation) -> RequestParams:
    """What a request of this conversation sends: the defaults, then its overrides."""
    return settings.defaults.to_request_params().merged(conversation.params)


def param_spec(name: str) -> SettingSpec:
    """The schema entry (help text, range, choices) of one parameter; raises for a name that
    is not one."""
    return spec_for(f"defaults.{name}")


def check_override(name: str, value: object, *, model: str | None = None) -> object:
    """`value` in canonical form if the conversation may set `name` to it; None clears.

    Raises InvalidSettingError (an errors.InvalidValueError) naming the parameter and the
    allowed range. With `model` (the model the conversation will use), max_tokens is also
    bounded by the model's published output limit.
    """
    spec = param_spec(name)
    path = f"conversation.{name}"
    # Any override may be cleared, even of a setting that is required globally (model).
    checked = coerce(path, FieldType(spec.type.base, True), spec.info, value)
    if name == "max_tokens" and isinstance(checked, int) and model:
        limits = model_limits(model)
        high = limits.max_output_tokens if limits is not None else None
        if high is not None and checked > high:
            raise InvalidSettingError(
                path,
                value,
                f"a whole number from 1 to {high:,} for {model}, or nothing for the default",
                reason=f"{model} writes at most {high:,} tokens per reply",
            )
    return checked


def with_override(
    params: RequestParams, name: str, value: object, *, model: str | None = None
) -> RequestParams:
    """`params` with `name` overridden by `value` (None: back to the default); validated as
    `check_override` does."""
    changes: dict[str, Any] = {name: check_override(name, value, model=model)}
    return dataclasses.replace(params, **changes)


def override_from_text(
    params: RequestParams, name: str, text: str, *, model: str | None = None
) -> RequestParams:
    """`with_override` for what a user typed ("0.7", "none", a JSON list for stop)."""
    spec = param_spec(name)
    value = parse_text(f"conversation.{name}", FieldType(spec.type.base, True), spec.info, text)
    return with_override(params, name, value, model=model)


def without_override(params: RequestParams, name: str) -> RequestParams:
    """`params` with `name` reset to the default."""
    param_spec(name)
    changes: dict[str, Any] = {name: None}
    return dataclasses.replace(params, **changes)


def invalid_overrides(
    params: RequestParams, *, model: str | None = None
) -> tuple[InvalidSettingError, ...]:
    """The stored overrides the schema refuses (an imported conversation, an older version),
    one error each, for the conversation settings to show."""
    problems: list[InvalidSettingError] = []
    for name, value in overrides(params).items():
        try:
            check_override(name, value, model=model)
        except InvalidSettingError as exc:
            problems.append(exc)
    return tuple(problems)
