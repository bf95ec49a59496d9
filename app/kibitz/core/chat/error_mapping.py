"""Turning what a server or the SDK reports into the error tree, with a readable message.

Servers disagree on error bodies: OpenAI sends {"error": {"message", "type", "param", "code"}},
llama.cpp puts an int in "code", vLLM may send the fields at the top level, FastAPI servers
send {"detail": ...}, proxies send HTML or plain text. Whatever arrives, the user gets one
readable line (never a JSON blob or a traceback) and never the API key.
"""

from __future__ import annotations

import html
import http
import json
import re
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from kibitz.core.errors import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    AuthError,
    BadRequestError,
    ContextTooLongError,
    ImagesNotSupportedError,
    KibitzError,
    MalformedResponseError,
    ModelNotFoundError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
    StreamStalledError,
    ToolsNotSupportedError,
)

from .retry import parse_retry_after

if TYPE_CHECKING:
    import openai

MAX_DETAIL = 400

_CONTEXT_CODES = {"context_length_exceeded", "exceed_context_size_error", "string_above_max_length"}
_CONTEXT_WORDS = (
    "maximum context length",  # OpenAI (older wording), vLLM
    "context length exceeded",
    "context_length_exceeded",
    "exceeds the available context size",  # llama.cpp
    "exceed_context_size",
    "context window",
    "prompt is too long",
    "too many tokens",
)
# How servers say a model takes no images (matched lower-cased, whatever the status: llama.cpp
# has answered 500, OpenRouter 404).
_NO_IMAGE_WORDS = (
    "image_url is only supported by certain models",  # OpenAI, Azure
    "image input is not supported",  # llama.cpp without an mmproj
    "does not support image",  # Ollama: "this model does not support image input"
    "does not support vision",
    "is not a multimodal model",  # vLLM
    "support image input",  # OpenRouter: "No endpoints found that support image input"
    "into go struct field message.messages.content of type string",  # Ollama before 0.1.33
)
# How servers refuse the `tools` of a request (matched lower-cased, whatever the status:
# llama.cpp answers 500, OpenRouter and Azure 404). Each wording as reported from the server.
_NO_TOOLS_WORDS = (
    # OpenAI, 400: "tools is not supported in this model. For a list of supported models, ..."
    # (gpt-5-chat-latest; sbintuitions/flexeval#242)
    "tools is not supported",
    "'tools' is not supported",  # OpenAI's unsupported_parameter wording, param "tools"
    # llama.cpp's server without --jinja, 500 (containers/ramalama#988, defilantech/LLMKube#126)
    "tools param requires --jinja",
    "unsupported param: tools",  # llama.cpp before --jinja, 500 (ggml-org/llama.cpp#10920)
    # Ollama, 400: "registry.ollama.ai/library/llama3:8b does not support tools" (ollama/ollama
    # #6027, #14795; pydantic/pydantic-ai#703)
    "does not support tools",
    # vLLM without --enable-auto-tool-choice, 400 (langchain4j/langchain4j#3475)
    "tool choice requires --enable-auto-tool-choice",
    # OpenRouter, 404: "No endpoints found that support tool use. ..." (evalstate/fast-agent#122)
    "support tool use",
    # Azure OpenAI with an API version before tools, 404 (MicrosoftDocs/azure-docs#118069)
    "unrecognized request argument supplied: tools",
)
_TOOL_PARAMS = ("tools", "tool_choice", "parallel_tool_calls")
_PARAM_PATTERNS = (
    re.compile(r"Unsupported (?:parameter|value): '([\w.]+)'"),
    re.compile(r"'([\w.]+)' is not supported"),
    re.compile(r"Invalid (?:value for|type for) '([\w.]+)'"),
)
_SDK_PREFIX = re.compile(r"^(?:litellm\.\w+:\s*|\w*Error:\s*|\w+Exception\s*-\s*)+")
_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-*]{12,})")


@dataclass(frozen=True, slots=True)
class ErrorFields:
    """What an error body says, whatever its shape."""

    message: str
    code: str | None = None
    type: str | None = None
    param: str | None = None


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """Remove known secrets and anything shaped like an OpenAI key."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _KEYLIKE.sub(lambda m: m.group(1)[:3] + "…[redacted]", text)


def _clean(text: str) -> str:
    text = _SDK_PREFIX.sub("", " ".join(text.split()))
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def _text_of_html(text: str) -> str:
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title and title.group(1).strip():
        return html.unescape(title.group(1))
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.IGNORECASE | re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _detail_text(detail: Any) -> tuple[str, str | None]:
    """FastAPI's `detail`: a string, or a list of {"loc": [...], "msg": ...} (422)."""
    if isinstance(detail, str):
        return detail, None
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        loc = [str(p) for p in first.get("loc") or [] if p not in ("body", "query")]
        param = loc[-1] if loc else None
        msg = str(first.get("msg") or "invalid value")
        return (f"{'.'.join(loc)}: {msg}" if loc else msg), param
    return json.dumps(detail)[:MAX_DETAIL], None


def error_fields(body: object) -> ErrorFields:
    """Extract message/code/type/param from a parsed body or a raw text body."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        stripped = body.strip()
        try:
            parsed = json.loads(stripped) if stripped[:1] in ("{", "[") else None
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return error_fields(parsed)
        if re.search(r"<(!doctype|html|head|body|title)\b", stripped, re.IGNORECASE):
            return ErrorFields(_clean(_text_of_html(stripped)))
        return ErrorFields(_clean(stripped))
    if not isinstance(body, Mapping):
        return ErrorFields("")
    source: Mapping[str, Any] = body
    message: Any = None
    error = body.get("error")
    if isinstance(error, Mapping):
        source = error
    elif isinstance(error, str):
        message = error  # Ollama and others: {"error": "model 'x' not found"}
    param = source.get("param")
    if message is None:
        message = source.get("message") or source.get("msg")
    if not message and "detail" in body:
        message, detail_param = _detail_text(body["detail"])
        param = param or detail_param
    code = source.get("code")
    type_ = source.get("type")
    text = _clean(str(message)) if message else ""
    if not param and text:
        for pattern in _PARAM_PATTERNS:
            found = pattern.search(text)
            if found:
                param = found.group(1)
                break
    return ErrorFields(
        text,
        str(code) if code is not None else None,
        str(type_) if type_ is not None else None,
        str(param) if param else None,
    )


def _is_context(fields: ErrorFields) -> bool:
    if fields.code in _CONTEXT_CODES or fields.type in _CONTEXT_CODES:
        return True
    lowered = fields.message.lower()
    return any(words in lowered for words in _CONTEXT_WORDS)


def _is_quota(fields: ErrorFields) -> bool:
    return (
        "insufficient_quota" in (fields.code, fields.type)
        or "exceeded your current quota" in fields.message.lower()
    )


def error_from_response(
    status: int | None,
    body: object,
    headers: Mapping[str, str] | None = None,
    *,
    secrets: Sequence[str] = (),
) -> ApiError:
    """Classify an HTTP error response (or, with status None, an in-stream error event)."""
    fields = error_fields(body)
    detail = redact(fields.message, secrets)
    if not detail and status is not None:
        try:
            detail = f"HTTP {status} {http.HTTPStatus(status).phrase}"
        except ValueError:
            detail = f"HTTP {status}"
    code = fields.code or ""
    if status in (401, 403) or (status is None and code in ("invalid_api_key", "401")):
        headline = "The server refused access" if status == 403 else None
        return AuthError(detail, status=status, headline=headline)
    if status == 429 or (status is None and (code in ("rate_limit_exceeded", "429"))):
        if _is_quota(fields):
            return QuotaExceededError(detail, status=status)
        retry_after = parse_retry_after(headers) if headers else None
        return RateLimitError(detail, status=status, retry_after=retry_after)
    if _is_quota(fields):
        return QuotaExceededError(detail, status=status)
    if _is_context(fields):
        return ContextTooLongError(detail, status=status)
    if any(words in fields.message.lower() for words in _NO_IMAGE_WORDS):
        return ImagesNotSupportedError(detail, status=status)
    refused_tools = _refused_tools(fields, detail, status)
    if refused_tools is not None:
        return refused_tools
    if code == "DeploymentNotFound":  # Azure: the deployment in the URL does not exist
        return ModelNotFoundError(
            detail,
            status=status,
            headline="Azure has no deployment by this name",
            hint="Check the deployment name in the Azure profile (or the model, which names "
            "the deployment when the profile gives none) and try again.",
        )
    if status == 404 or code == "model_not_found":
        if code == "model_not_found" or "model" in fields.message.lower():
            return ModelNotFoundError(detail, status=status)
        return BadRequestError(
            detail,
            status=status,
            headline="Nothing answers at this address",
            hint="Check the provider's base URL; OpenAI-compatible servers usually end it in /v1.",
        )
    if status in (400, 413, 422) or (status is None and fields.type == "invalid_request_error"):
        rejected = _rejected_parameter(fields, detail, status)
        if rejected is not None:
            return rejected
        return BadRequestError(detail, status=status, param=fields.param)
    if status == 408:
        return ApiTimeoutError(detail, status=status)
    if status is None or status >= 500:
        return ServerError(detail, status=status)
    return ApiError(detail, status=status)


def _refused_tools(
    fields: ErrorFields, detail: str, status: int | None
) -> ToolsNotSupportedError | None:
    """The server takes no tools, or refused the ones offered (a 400 naming `tools`: a tool's
    schema it cannot take); either way, sending without them is the way on."""
    lowered = fields.message.lower()
    if any(words in lowered for words in _NO_TOOLS_WORDS):
        return ToolsNotSupportedError(detail, status=status)
    root = re.split(r"[.\[]", fields.param or "", maxsplit=1)[0]
    if root in _TOOL_PARAMS and (status in (400, 422) or status is None):
        if "not supported" in lowered or fields.code == "unsupported_parameter":
            return ToolsNotSupportedError(detail, status=status)
        return ToolsNotSupportedError(
            detail,
            status=status,
            headline="The server refused the tools offered",
            hint="Send again without tools, or turn off the tool server it names in "
            "Settings → Tools.",
        )
    return None


# -- a parameter the model refuses ----------------------------------------------------------------

# The server's parameter names that are settings of ours, and the setting's name. We send
# max_tokens as max_completion_tokens to reasoning models; either way it is "Max tokens".
_OUR_PARAMS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "max_tokens": "max_tokens",
    "max_completion_tokens": "max_tokens",
    "stop": "stop",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "seed": "seed",
    "n": "n",
    "response_format": "response_format",
    "reasoning_effort": "reasoning_effort",
}
_WHERE = "in this conversation's settings (or the defaults)"


def _rejected_parameter(
    fields: ErrorFields, detail: str, status: int | None
) -> BadRequestError | None:
    """A 400 naming one of our settings, as an error saying which setting to change.

    `param` becomes the setting's name (a `RequestParams` field, or "system_prompt"), so
    the UI's Open settings action can go straight to it.
    """
    param = fields.param or ""
    message = fields.message
    root = re.split(r"[.\[]", param, maxsplit=1)[0]
    if root == "messages" and "'system'" in message:
        # o1-mini and o1-preview: "Unsupported value: 'messages[0].role' does not support
        # 'system' with this model."
        return BadRequestError(
            detail,
            status=status,
            param="system_prompt",
            headline="This model does not accept a system prompt",
            hint="Clear the system prompt in this conversation's settings, then send again.",
        )
    name = _OUR_PARAMS.get(root)
    if name is None:
        return None
    label = _label(name)
    lowered = message.lower()
    if name == "max_tokens" and "max_completion_tokens" in message and root == "max_tokens":
        headline = "This model does not accept max_tokens"
        hint = f"It takes max_completion_tokens instead: clear {label} {_WHERE}, then send again."
    elif fields.code == "unsupported_value" or lowered.startswith("unsupported value"):
        headline = f"This model does not accept this {root} value"
        hint = f"It takes only its default: clear {label} {_WHERE}, then send again."
    elif fields.code == "unsupported_parameter" or "not supported" in lowered:
        headline = f"This model does not accept {root}"
        hint = f"Clear {label} {_WHERE}, then send again."
    else:
        headline = f"The server refused the {root} value"
        hint = f"Change or clear {label} {_WHERE}, then send again."
    return BadRequestError(detail, status=status, param=name, headline=headline, hint=hint)


def _label(name: str) -> str:
    """The setting's label as the settings dialog shows it."""
    from kibitz.core.settings import spec_for

    return spec_for(f"defaults.{name}").info.label or name


# -- exceptions from the SDK and the transport ---------------------------------------------------


def _public_url(url: str | None) -> str:
    """The base URL without credentials or query, fit to show."""
    if not url:
        return "the server"
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def describe_transport_error(exc: BaseException) -> str:
    """A short reason from the deepest OS-level cause (refused, DNS, TLS), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    reason = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, socket.gaierror):
            return "the host name could not be resolved"
        if isinstance(current, ssl.SSLError):
            return f"TLS failed ({current.reason or current})"
        if isinstance(current, ConnectionResetError):
            return "connection reset by the server"
        text = str(current)
        if "peer closed connection" in text:
            return "the server closed the connection before the reply was complete"
        if text and not reason and text not in ("Connection error.", "Request timed out."):
            reason = text
        current = current.__cause__ or current.__context__
    return _clean(reason)


def map_exception(
    exc: BaseException,
    *,
    secrets: Sequence[str] = (),
    base_url: str | None = None,
    in_body: bool = False,
) -> KibitzError:
    """Map an exception raised by the SDK (or by decoding its stream) onto the error tree.

    `in_body` says the response had begun: then a timeout is a stall and a broken connection
    an interrupted stream, not a failure to connect.
    """
    import openai

    where = _public_url(base_url)
    if isinstance(exc, openai.APITimeoutError):
        if in_body:
            return StreamStalledError("No data arrived within the read timeout.")
        return ApiTimeoutError(f"No answer from {where} within the timeout.")
    if isinstance(exc, openai.APIConnectionError):
        reason = redact(describe_transport_error(exc), secrets)
        if in_body:
            return StreamInterruptedError(reason or "The connection closed early.")
        return ApiConnectionError(f"{where}: {reason}" if reason else where)
    if isinstance(exc, openai.APIStatusError):
        return _from_status_error(exc, secrets)
    if isinstance(exc, openai.APIError):
        # An {"error": ...} event inside a 200 stream; the SDK hands us the inner object.
        body = exc.body if exc.body is not None else exc.message
        wrapped = {"error": body} if isinstance(body, Mapping) else body
        return error_from_response(None, wrapped, secrets=secrets)
    if isinstance(exc, openai.OpenAIError):
        return ApiError(redact(_clean(str(exc)), secrets))
    if isinstance(exc, ValueError):  # json.JSONDecodeError, UnicodeDecodeError in the SSE data
        return MalformedResponseError(
            f"A stream event was not valid JSON ({type(exc).__name__}: {_clean(str(exc))[:120]})."
        )
    raise TypeError(f"map_exception cannot map {type(exc).__name__}") from exc


def _from_status_error(exc: openai.APIStatusError, secrets: Sequence[str]) -> ApiError:
    response = exc.response
    try:
        body: object = response.text
    except (UnicodeDecodeError, RuntimeError):  # not read, or not text
        body = exc.body
    if not body:
        body = exc.body
    return error_from_response(
        response.status_code, body, dict(response.headers.items()), secrets=secrets
    )
