"""A conversation's parameter overrides: listing, setting with the schema's ranges, resetting."""

from __future__ import annotations

from pathlib import Path

import pytest

from kibitz.core.settings import InvalidSettingError, Settings
from kibitz.core.settings.overrides import (
    PARAM_NAMES,
    effective_params,
    invalid_overrides,
    override_from_text,
    overrides,
    param_spec,
    with_override,
    without_override,
)
from kibitz.core.store import Store
from kibitz.core.types import RequestParams


def test_the_parameters_are_the_request_fields() -> None:
    assert PARAM_NAMES == (
        "model",
        "temperature",
        "top_p",
        "max_tokens",
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "n",
        "response_format",
        "reasoning_effort",
    )
    assert param_spec("temperature").allowed == "a number from 0 to 2, or nothing for the default"


def test_overrides_list_what_a_stored_conversation_sets(tmp_path: Path) -> None:
    with Store.open(tmp_path / "kibitz.sqlite3") as store:
        params = RequestParams(temperature=0.3, seed=7, stop=("END",))
        conversation = store.create_conversation("c", params=params)
        stored = store.get_conversation(conversation.id)
        assert overrides(stored) == {"temperature": 0.3, "stop": ("END",), "seed": 7}
        plain = store.create_conversation("plain")
        assert overrides(store.get_conversation(plain.id)) == {}


def test_effective_params_lay_the_conversation_over_the_defaults(tmp_path: Path) -> None:
    settings = (
        Settings()
        .with_value("defaults.model", "gpt-4.1")
        .with_value("defaults.temperature", 1.0)
        .with_value("defaults.top_p", 0.9)
    )
    with Store.open(tmp_path / "kibitz.sqlite3") as store:
        conversation = store.create_conversation("c", params=RequestParams(temperature=0.3))
        params = effective_params(settings, store.get_conversation(conversation.id))
    assert params == RequestParams(model="gpt-4.1", temperature=0.3, top_p=0.9)


def test_setting_and_resetting_one_or_all() -> None:
    params = with_override(RequestParams(), "temperature", 0.3)
    params = with_override(params, "stop", ["END", "###"])
    params = with_override(params, "response_format", "json_object")
    assert params == RequestParams(
        temperature=0.3, stop=("END", "###"), response_format="json_object"
    )
    params = without_override(params, "stop")
    assert overrides(params) == {"temperature": 0.3, "response_format": "json_object"}
    assert with_override(params, "temperature", None).temperature is None
    assert overrides(RequestParams()) == {}  # "reset all" is simply no overrides


def test_integer_valued_floats_are_canonical() -> None:
    params = with_override(RequestParams(), "temperature", 1)
    assert isinstance(params.temperature, float)
    assert with_override(RequestParams(), "seed", 7.0).seed == 7


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("temperature", 2.5, "a number from 0 to 2"),
        ("top_p", -0.1, "a number from 0 to 1"),
        ("presence_penalty", 3, "a number from -2 to 2"),
        ("frequency_penalty", "high", "a number from -2 to 2"),
        ("n", 0, "a whole number from 1 to 8"),
        ("max_tokens", 0, "a whole number of at least 1"),
        ("stop", ["a", "b", "c", "d", "e"], "a list of at most 4 non-empty texts"),
        ("response_format", "yaml", "one of text, json_object"),
        ("model", "  ", "non-empty text"),
        ("seed", 1.5, "a whole number"),
    ],
)
def test_bad_values_are_refused_with_the_allowed_range(
    name: str, value: object, allowed: str
) -> None:
    with pytest.raises(InvalidSettingError) as caught:
        with_override(RequestParams(), name, value)
    error = caught.value
    assert error.headline == f"Invalid value for setting conversation.{name}"
    assert error.allowed.startswith(allowed)
    assert error.allowed.endswith("or nothing for the default")
    assert error.hint == f"Use {error.allowed}."


def test_max_tokens_is_bounded_by_the_models_limit() -> None:
    assert with_override(RequestParams(), "max_tokens", 16_384, model="gpt-4o-mini").max_tokens
    with pytest.raises(InvalidSettingError) as caught:
        with_override(RequestParams(), "max_tokens", 20_000, model="gpt-4o-mini")
    assert caught.value.detail == "gpt-4o-mini writes at most 16,384 tokens per reply"
    assert caught.value.allowed.startswith("a whole number from 1 to 16,384 for gpt-4o-mini")
    # A model whose limit is unknown has no upper bound.
    assert with_override(RequestParams(), "max_tokens", 20_000, model="llama3").max_tokens


def test_typed_text_is_parsed_like_the_settings_dialog() -> None:
    params = override_from_text(RequestParams(), "temperature", " 0.7 ")
    params = override_from_text(params, "stop", '["END", "STOP"]')
    params = override_from_text(params, "seed", "42")
    assert params == RequestParams(temperature=0.7, stop=("END", "STOP"), seed=42)
    assert override_from_text(params, "temperature", "none").temperature is None
    assert override_from_text(params, "model", "").model is None
    with pytest.raises(InvalidSettingError, match=r"conversation\.top_p"):
        override_from_text(params, "top_p", "lots")


def test_unknown_parameters_are_refused() -> None:
    with pytest.raises(InvalidSettingError, match="there is no such setting"):
        with_override(RequestParams(), "logit_bias", {})
    with pytest.raises(InvalidSettingError):
        without_override(RequestParams(), "logit_bias")


def test_invalid_stored_overrides_are_reported_one_by_one() -> None:
    # As an import from another app might hold them: RequestParams itself does not check.
    params = RequestParams(temperature=5.0, top_p=0.5, n=99)
    problems = invalid_overrides(params)
    assert [p.path for p in problems] == ["conversation.temperature", "conversation.n"]
    assert invalid_overrides(RequestParams(max_tokens=99_999), model="gpt-4o")[0].path == (
        "conversation.max_tokens"
    )
