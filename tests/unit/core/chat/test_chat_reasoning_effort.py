"""reasoning_effort: a setting with choices, overridable per conversation, sent only when set."""

from __future__ import annotations

from pathlib import Path

import pytest

from kibitz.core.chat import build_request
from kibitz.core.settings import InvalidSettingError, Settings, load_settings, save_settings
from kibitz.core.settings.overrides import override_from_text, param_spec, with_override
from kibitz.core.types import REASONING_EFFORTS, RequestParams


def test_not_sent_unless_set() -> None:
    body = build_request([("user", "hi")], Settings().defaults.to_request_params())
    assert "reasoning_effort" not in body


@pytest.mark.parametrize("effort", REASONING_EFFORTS)
def test_each_effort_from_the_defaults_is_sent_as_is(effort: str) -> None:
    settings = Settings().with_value("defaults.reasoning_effort", effort)
    body = build_request([("user", "hi")], settings.defaults.to_request_params())
    assert body["reasoning_effort"] == effort


def test_the_schema_offers_the_efforts_with_help() -> None:
    spec = param_spec("reasoning_effort")
    assert spec.choices == REASONING_EFFORTS
    assert spec.default is None
    assert spec.info.help
    assert spec.allowed.startswith("one of none, minimal, low, medium, high, xhigh")


def test_typed_none_is_the_effort_and_empty_text_clears_it() -> None:
    settings = Settings().with_text("defaults.reasoning_effort", "none")
    assert settings.defaults.reasoning_effort == "none"
    assert settings.with_text("defaults.reasoning_effort", "").defaults.reasoning_effort is None
    # Elsewhere "none" still means "not set".
    assert Settings().with_text("defaults.temperature", "none").defaults.temperature is None


def test_a_conversation_overrides_the_default() -> None:
    defaults = Settings().with_value("defaults.reasoning_effort", "high").defaults
    params = override_from_text(RequestParams(), "reasoning_effort", "low")
    assert params.reasoning_effort == "low"
    merged = defaults.to_request_params().merged(params)
    assert build_request([("user", "hi")], merged)["reasoning_effort"] == "low"
    assert override_from_text(params, "reasoning_effort", "none").reasoning_effort == "none"
    assert with_override(params, "reasoning_effort", None).reasoning_effort is None


def test_an_unknown_effort_is_refused_with_the_choices() -> None:
    with pytest.raises(InvalidSettingError) as caught:
        Settings().with_value("defaults.reasoning_effort", "max")
    assert "none, minimal, low, medium, high, xhigh" in caught.value.allowed
    with pytest.raises(InvalidSettingError):
        with_override(RequestParams(), "reasoning_effort", "extreme")


def test_round_trip_through_the_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_settings(path, Settings().with_value("defaults.reasoning_effort", "minimal"))
    assert 'reasoning_effort = "minimal"' in path.read_text(encoding="utf-8")
    assert load_settings(path).settings.defaults.reasoning_effort == "minimal"
