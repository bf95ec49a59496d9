"""A 400 naming a parameter says which setting to change, and names it for Open settings."""

from __future__ import annotations

import json

import pytest

from kibitz.core.chat import error_from_response
from kibitz.core.errors import Action, BadRequestError


def openai_400(message: str, param: str | None, code: str | None) -> str:
    error = {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    return json.dumps({"error": error})


@pytest.mark.parametrize(
    ("body", "param", "headline", "hint"),
    [
        (
            openai_400(
                "Unsupported parameter: 'temperature' is not supported with this model.",
                "temperature",
                "unsupported_parameter",
            ),
            "temperature",
            "This model does not accept temperature",
            "Clear Temperature in this conversation's settings (or the defaults), then send again.",
        ),
        (
            openai_400(
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                "max_tokens",
                "unsupported_parameter",
            ),
            "max_tokens",
            "This model does not accept max_tokens",
            "It takes max_completion_tokens instead: clear Max tokens in this conversation's "
            "settings (or the defaults), then send again.",
        ),
        (
            openai_400(
                "Unsupported value: 'temperature' does not support 0.3 with this model. Only "
                "the default (1) value is supported.",
                "temperature",
                "unsupported_value",
            ),
            "temperature",
            "This model does not accept this temperature value",
            "It takes only its default: clear Temperature in this conversation's settings "
            "(or the defaults), then send again.",
        ),
        (
            openai_400(
                "Unsupported parameter: 'max_completion_tokens' is not supported with this model.",
                "max_completion_tokens",
                "unsupported_parameter",
            ),
            "max_tokens",  # what we send for Max tokens to reasoning models
            "This model does not accept max_completion_tokens",
            "Clear Max tokens in this conversation's settings (or the defaults), then send again.",
        ),
        (
            openai_400(
                "Invalid type for 'response_format.type': expected one of 'text', "
                "'json_object', but got 'yaml' instead.",
                "response_format.type",
                "invalid_value",
            ),
            "response_format",
            "The server refused the response_format value",
            "Change or clear Response format in this conversation's settings (or the "
            "defaults), then send again.",
        ),
        (
            openai_400(
                "Unsupported value: 'messages[0].role' does not support 'system' with this model.",
                "messages[0].role",
                "unsupported_value",
            ),
            "system_prompt",
            "This model does not accept a system prompt",
            "Clear the system prompt in this conversation's settings, then send again.",
        ),
    ],
)
def test_a_rejected_parameter_says_what_to_change(
    body: str, param: str, headline: str, hint: str
) -> None:
    error = error_from_response(400, body)
    assert isinstance(error, BadRequestError)
    assert (error.param, error.headline, error.hint) == (param, headline, hint)
    assert error.action is Action.OPEN_SETTINGS
    assert error.detail == json.loads(body)["error"]["message"]


def test_the_parameter_is_found_in_the_message_when_param_is_null() -> None:
    # vLLM, LiteLLM and others often leave param out.
    body = openai_400(
        "Unsupported parameter: 'top_p' is not supported with this model.", None, None
    )
    error = error_from_response(400, body)
    assert isinstance(error, BadRequestError)
    assert error.param == "top_p"
    assert error.hint.startswith("Clear Top p in this conversation's settings")


def test_a_parameter_that_is_not_a_setting_keeps_the_general_message() -> None:
    body = openai_400("Invalid value for 'logit_bias'.", "logit_bias", "invalid_value")
    error = error_from_response(400, body)
    assert isinstance(error, BadRequestError)
    assert error.param == "logit_bias"
    assert error.headline == "The server rejected the request"
