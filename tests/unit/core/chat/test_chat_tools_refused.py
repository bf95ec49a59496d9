"""Servers that refuse `tools` become ToolsNotSupportedError (Send without tools), in their own
words; other tool-free errors stay what they were (no network)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kibitz.core.chat import error_from_response
from kibitz.core.chat.retry import is_transient
from kibitz.core.errors import (
    Action,
    BadRequestError,
    ImagesNotSupportedError,
    ModelNotFoundError,
    ToolsNotSupportedError,
)


def openai_error(message: str, type_: str | None, code: Any, param: str | None = None) -> str:
    return json.dumps({"error": {"message": message, "type": type_, "param": param, "code": code}})


REFUSALS = {
    "openai": (
        400,
        openai_error(
            "tools is not supported in this model. For a list of supported models, refer to "
            "https://platform.openai.com/docs/guides/function-calling#models-supporting-"
            "function-calling.",
            "invalid_request_error",
            None,
        ),
    ),
    "openai-unsupported-parameter": (
        400,
        openai_error(
            "Unsupported parameter: 'tools' is not supported with this model.",
            "invalid_request_error",
            "unsupported_parameter",
            "tools",
        ),
    ),
    "llama.cpp-no-jinja": (
        500,
        '{"error":{"code":500,"message":"tools param requires --jinja flag",'
        '"type":"server_error"}}',
    ),
    "llama.cpp-before-jinja": (
        500,
        '{"error":{"code":500,"message":"Unsupported param: tools","type":"server_error"}}',
    ),
    "ollama-openai": (
        400,
        openai_error(
            "registry.ollama.ai/library/llama3:8b does not support tools", "api_error", None
        ),
    ),
    "ollama-native": (
        400,
        '{"error":"registry.ollama.ai/library/gemma3:27b-it-fp16 does not support tools"}',
    ),
    "vllm": (
        400,
        '{"object":"error","message":"\\"auto\\" tool choice requires '
        '--enable-auto-tool-choice and --tool-call-parser to be set",'
        '"type":"BadRequestError","param":null,"code":400}',
    ),
    "openrouter": (
        404,
        '{"error":{"message":"No endpoints found that support tool use. To learn more about '
        'provider routing, visit: https://openrouter.ai/docs/provider-routing","code":404}}',
    ),
    "azure-old-api-version": (
        404,
        openai_error(
            "Unrecognized request argument supplied: tools", "invalid_request_error", None
        ),
    ),
}


@pytest.mark.parametrize("server", sorted(REFUSALS))
def test_refusals_offer_to_send_without_tools(server: str) -> None:
    status, body = REFUSALS[server]
    error = error_from_response(status, body)

    assert type(error) is ToolsNotSupportedError
    assert error.action is Action.SEND_WITHOUT_TOOLS
    assert error.status == status
    assert error.headline == "This model or server does not take tools"
    assert not is_transient(error)  # llama.cpp's 500 is not worth retrying


def test_the_refusal_keeps_the_servers_words() -> None:
    error = error_from_response(*REFUSALS["ollama-native"])
    assert error.detail == "registry.ollama.ai/library/gemma3:27b-it-fp16 does not support tools"


def test_a_tool_schema_the_server_refuses_names_the_tools() -> None:
    body = openai_error(
        "Invalid schema for function 'search': In context=(), 'required' is required to be "
        "supplied and to be an array including every key in properties.",
        "invalid_request_error",
        "invalid_function_parameters",
        "tools[0].function.parameters",
    )
    error = error_from_response(400, body)
    assert type(error) is ToolsNotSupportedError
    assert error.headline == "The server refused the tools offered"
    assert "without tools" in error.hint


def test_errors_that_are_not_about_tools_stay_as_they_were() -> None:
    missing = openai_error("The model `gpt-9` does not exist", "invalid_request_error", None)
    assert type(error_from_response(404, missing)) is ModelNotFoundError
    images = '{"error":"this model does not support image input"}'
    assert type(error_from_response(400, images)) is ImagesNotSupportedError
    other = openai_error("'temperature' is out of range", "invalid_request_error", None, "stop")
    assert type(error_from_response(400, other)) is BadRequestError


def test_an_in_stream_refusal_event() -> None:
    body = {"error": {"message": "tools param requires --jinja flag", "type": "server_error"}}
    assert type(error_from_response(None, body)) is ToolsNotSupportedError
