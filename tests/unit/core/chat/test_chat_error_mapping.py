"""Error bodies of many servers become the right error with one readable line (no network)."""

from __future__ import annotations

import json

import pytest

from kibitz.core.chat import error_fields, error_from_response, redact
from kibitz.core.errors import (
    Action,
    ApiError,
    ApiTimeoutError,
    AuthError,
    BadRequestError,
    ContextTooLongError,
    ImagesNotSupportedError,
    ModelNotFoundError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
)

KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"


def openai_body(message: str, type_: str | None, code: str | None, param: str | None = None) -> str:
    return json.dumps({"error": {"message": message, "type": type_, "param": param, "code": code}})


CASES = [
    # (status, body, expected class, expected detail)
    (
        401,
        openai_body(
            "Incorrect API key provided: DEADBEEF.", "invalid_request_error", "invalid_api_key"
        ),
        AuthError,
        "Incorrect API key provided: DEADBEEF.",
    ),
    (
        401,
        '{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}',
        AuthError,
        "Invalid API Key",
    ),
    (
        404,
        openai_body(
            "The model `gpt-9` does not exist or you do not have access to it.",
            "invalid_request_error",
            "model_not_found",
        ),
        ModelNotFoundError,
        "The model `gpt-9` does not exist or you do not have access to it.",
    ),
    (
        404,
        '{"error": "model \\"llama9\\" not found, try pulling it first"}',
        ModelNotFoundError,
        'model "llama9" not found, try pulling it first',
    ),
    (
        400,
        openai_body(
            "This model's maximum context length is 8192 tokens.",
            "invalid_request_error",
            "context_length_exceeded",
            "messages",
        ),
        ContextTooLongError,
        "This model's maximum context length is 8192 tokens.",
    ),
    (
        400,
        '{"error":{"code":400,"message":"the request exceeds the available context size, '
        'try increasing it","type":"exceed_context_size_error"}}',
        ContextTooLongError,
        "the request exceeds the available context size, try increasing it",
    ),
    (
        400,
        '{"object":"error","message":"This model\'s maximum context length is 4096 tokens. '
        'However, you requested 5000 tokens.","type":"BadRequestError","param":null,"code":400}',
        ContextTooLongError,
        "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
    ),
    (
        429,
        openai_body("You exceeded your current quota.", "insufficient_quota", "insufficient_quota"),
        QuotaExceededError,
        "You exceeded your current quota.",
    ),
    (
        429,
        '{"error":{"message":"litellm.RateLimitError: RateLimitError: OpenAIException - '
        'Rate limit reached","type":"throttling_error","param":null,"code":"429"}}',
        RateLimitError,
        "Rate limit reached",
    ),
    (
        422,
        '{"detail":"Temperature must be between 0 and 2"}',
        BadRequestError,
        "Temperature must be between 0 and 2",
    ),
    (500, "Internal Server Error", ServerError, "Internal Server Error"),
    (
        502,
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad "
        "Gateway</h1></center><hr><center>nginx</center></body></html>",
        ServerError,
        "502 Bad Gateway",
    ),
    (
        503,
        "<!DOCTYPE html><html><body><p>Service &amp; stuff unavailable</p></body></html>",
        ServerError,
        "Service & stuff unavailable",
    ),
    (503, "", ServerError, "HTTP 503 Service Unavailable"),
    (400, '{"unexpected": {"shape": true}}', BadRequestError, "HTTP 400 Bad Request"),
    (408, "", ApiTimeoutError, "HTTP 408 Request Timeout"),
    (409, '{"error": {"message": "Conflict!"}}', ApiError, "Conflict!"),
]


@pytest.mark.parametrize(("status", "body", "expected", "detail"), CASES)
def test_bodies_map_to_error_and_readable_detail(
    status: int, body: str, expected: type, detail: str
) -> None:
    error = error_from_response(status, body, {})

    assert type(error) is expected
    assert error.detail == detail
    assert error.status == status
    assert "{" not in error.detail


def test_unsupported_parameter_names_it() -> None:
    body = openai_body(
        "Unsupported value: 'temperature' does not support 0.7 with this model. Only the "
        "default (1) value is supported.",
        "invalid_request_error",
        "unsupported_value",
    )
    error = error_from_response(400, body)

    assert isinstance(error, BadRequestError)
    assert error.param == "temperature"  # read from the message when "param" is missing
    assert error.headline == "This model does not accept this temperature value"
    assert error.hint.startswith("It takes only its default: clear Temperature")
    assert error.action is Action.OPEN_SETTINGS


def test_fastapi_validation_list() -> None:
    body = {"detail": [{"loc": ["body", "messages", 0, "content"], "msg": "Field required"}]}
    error = error_from_response(422, json.dumps(body))

    assert isinstance(error, BadRequestError)
    assert error.detail == "messages.0.content: Field required"
    assert error.param == "content"


def test_404_without_a_model_is_a_wrong_address() -> None:
    error = error_from_response(
        404, openai_body("Invalid URL (POST /chat/completions)", None, None)
    )

    assert isinstance(error, BadRequestError)
    assert error.headline == "Nothing answers at this address"


def test_rate_limit_reads_the_retry_headers() -> None:
    body = openai_body("Rate limit reached", "requests", "rate_limit_exceeded")
    error = error_from_response(429, body, {"retry-after-ms": "1200", "retry-after": "2"})

    assert isinstance(error, RateLimitError)
    assert error.retry_after == 1.2
    assert error_from_response(429, body, {}).retry_after is None  # type: ignore[attr-defined]


def test_403_is_refused_access() -> None:
    error = error_from_response(
        403,
        openai_body(
            "Country, region, or territory not supported",
            "request_forbidden",
            "unsupported_country",
        ),
    )
    assert isinstance(error, AuthError)
    assert error.headline == "The server refused access"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"message": "oops", "type": "server_error"}, ServerError),
        ({"message": "slow down", "code": "rate_limit_exceeded"}, RateLimitError),
        ({"message": "too long", "code": "context_length_exceeded"}, ContextTooLongError),
        ({"message": "bad", "type": "invalid_request_error"}, BadRequestError),
    ],
)
def test_in_stream_error_events(body: dict[str, str], expected: type) -> None:
    error = error_from_response(None, {"error": body})
    assert type(error) is expected
    assert error.status is None


def test_keys_never_reach_the_message() -> None:
    body = openai_body(f"Incorrect API key provided: {KEY}.", "invalid_request_error", "x")
    error = error_from_response(401, body, secrets=[KEY])
    assert KEY not in error.detail
    assert "[redacted]" in error.detail

    # A key we were not told about is still caught by its shape.
    assert KEY not in redact(f"bad key {KEY} here")
    assert redact("sk-short is fine") == "sk-short is fine"


def test_long_messages_are_cut() -> None:
    error = error_from_response(500, "x " * 2000)
    assert len(error.detail) <= 400
    assert error.detail.endswith("…")


def test_error_fields_of_odd_bodies() -> None:
    assert error_fields(b'{"error": {"message": "bytes", "code": 7}}').code == "7"
    assert error_fields(None).message == ""
    assert error_fields("[1, 2]").message == "[1, 2]"
    assert error_fields({"error": {"message": "m", "param": "top_p"}}).param == "top_p"


# Wordings of real servers refusing images for a text-only model (the first as OpenAI and Azure
# send it, with its param; the others as llama.cpp, Ollama, vLLM and OpenRouter do).
@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            400,
            openai_body(
                "Invalid content type. image_url is only supported by certain models.",
                "invalid_request_error",
                None,
                "messages.[1].content.[1].type",
            ),
        ),
        (
            500,
            json.dumps(
                {
                    "error": {
                        "code": 500,
                        "message": "image input is not supported - hint: if this is "
                        "unexpected, you may need to provide the mmproj",
                        "type": "server_error",
                    }
                }
            ),
        ),
        (
            400,
            openai_body("this model does not support image input", "invalid_request_error", None),
        ),
        (400, json.dumps({"object": "error", "message": "Qwen3-8B is not a multimodal model"})),
        (
            404,
            json.dumps(
                {"error": {"message": "No endpoints found that support image input", "code": 404}}
            ),
        ),
    ],
)
def test_a_refusal_of_images_says_the_model_takes_none(status: int, body: str) -> None:
    error = error_from_response(status, json.loads(body))
    assert isinstance(error, ImagesNotSupportedError)
    assert error.headline == "This model does not accept images"
    assert error.action is Action.CHOOSE_MODEL
    assert not error.retryable  # the same request would be refused again
