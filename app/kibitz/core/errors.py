"""The one error tree: every failure a user can meet, with a headline, a detail and a next step.

Code anywhere in Kibitz raises these (never a bare library exception across a layer), so the
CLI prints `headline` and `hint`, and the UI shows them with a button chosen by `action`.
"""

from __future__ import annotations

import enum
from pathlib import Path


class Action(enum.StrEnum):
    """The button the UI offers next to an error."""

    NONE = "none"
    RETRY = "retry"
    OPEN_SETTINGS = "open_settings"
    CHOOSE_MODEL = "choose_model"
    TRIM_HISTORY = "trim_history"
    SET_KEY = "set_key"
    SEND_WITHOUT_TOOLS = "send_without_tools"  # the server or model takes no `tools`
    OPEN_TOOLS = "open_tools"  # Settings -> Tools, at the server that failed


class KibitzError(Exception):
    """Base of the tree. `headline` names the problem; `hint` says what to do next."""

    code = "error"
    action = Action.NONE
    retryable = False
    default_headline = "Something went wrong"
    default_hint = "Try again; if it keeps happening, report it with the log file."

    def __init__(
        self, detail: str = "", *, headline: str | None = None, hint: str | None = None
    ) -> None:
        self.headline = headline or self.default_headline
        self.detail = detail
        self.hint = hint or self.default_hint
        super().__init__(self.headline if not detail else f"{self.headline}: {detail}")

    def summary(self) -> str:
        """One line for storage next to a failed reply: "code: headline"."""
        return f"{self.code}: {self.headline}"

    def lines(self) -> list[str]:
        """The two lines a terminal shows: what went wrong (with detail), what to do."""
        first = self.headline if not self.detail else f"{self.headline}: {self.detail}"
        return [first, self.hint]


class InternalError(KibitzError):
    """A bug of ours, not the user's doing nor the server's: the crash file has the details."""

    code = "internal"
    default_headline = "Kibitz hit an unexpected error"
    default_hint = "Your conversations are safe; the log folder has the details to report."


# -- configuration, settings, keys -------------------------------------------------------------


class ConfigError(KibitzError):
    code = "config"
    action = Action.OPEN_SETTINGS
    default_headline = "Kibitz is not set up yet"
    default_hint = "Open Settings and choose a provider."


class NoApiKeyError(ConfigError):
    code = "no_api_key"
    action = Action.SET_KEY
    default_headline = "No API key is set"
    default_hint = (
        "Enter the provider's API key (in the app, or with: kibitz key set), or set "
        "OPENAI_API_KEY; a local server that checks no key accepts any text."
    )


class SettingsFileError(ConfigError):
    """The settings file could not be read; it was moved aside and defaults are in use."""

    code = "settings_file"
    default_headline = "The settings file could not be read"
    default_hint = "Defaults are in use; your old file was kept next to it as a backup."

    def __init__(self, detail: str = "", *, backup: Path | None = None) -> None:
        super().__init__(detail)
        self.backup = backup
        if backup is not None:
            self.hint = f"Defaults are in use; the old file was kept as {backup}."


class InvalidValueError(ConfigError):
    code = "invalid_value"
    default_headline = "That value is not allowed"
    default_hint = "Enter a value inside the allowed range."


class SecretsError(KibitzError):
    code = "keyring"
    action = Action.SET_KEY
    default_headline = "The system keyring cannot be used"
    default_hint = (
        "Start or unlock your keyring (GNOME Keyring, KWallet, macOS Keychain or Windows "
        "Credential Manager), or set OPENAI_API_KEY in the environment instead."
    )


class KeyringUnavailableError(SecretsError):
    code = "keyring_unavailable"
    default_headline = "No system keyring is available"
    default_hint = (
        "Install and start a Secret Service keyring (for example gnome-keyring), "
        "or set OPENAI_API_KEY in the environment; Kibitz never stores keys in plain files."
    )


class KeyringLockedError(SecretsError):
    code = "keyring_locked"
    default_headline = "The system keyring is locked"
    default_hint = "Unlock your keyring (log in to it) and try again, or set OPENAI_API_KEY."


# -- storage -----------------------------------------------------------------------------------


class StoreError(KibitzError):
    code = "store"
    default_headline = "The conversation database failed"
    default_hint = "Check that the data folder is writable and the disk is not full."


class NotFoundError(StoreError):
    code = "not_found"
    default_headline = "No such conversation"
    default_hint = "Run `kibitz list` to see the conversation ids."


class DatabaseRecoveredError(StoreError):
    """The database was unreadable; it was moved aside and a fresh one created."""

    code = "database_recovered"
    default_headline = "The conversation database was damaged and has been set aside"

    def __init__(self, detail: str = "", *, moved_to: Path) -> None:
        super().__init__(detail)
        self.moved_to = moved_to
        self.hint = (
            f"A new, empty database is in use; the old one was kept as {moved_to} "
            "so nothing is lost (it may be recoverable with the sqlite3 .recover command)."
        )


# -- attachments -------------------------------------------------------------------------------


class AttachmentError(KibitzError):
    """A file the user attached cannot be sent: missing, unreadable, unsupported, too big, or
    a PDF with no text. Raised before anything is stored or sent; `path` names the file."""

    code = "attachment"
    default_headline = "The file cannot be attached"
    default_hint = "Check the file, or attach another one."

    def __init__(
        self,
        detail: str = "",
        *,
        headline: str | None = None,
        hint: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(detail, headline=headline, hint=hint)
        self.path = path


# -- the network and the server ----------------------------------------------------------------


class ApiError(KibitzError):
    """A failure talking to the model server. `status` is the HTTP status when there was one."""

    code = "api"
    action = Action.RETRY
    default_headline = "The server returned an error"
    default_hint = "Try again in a moment."

    def __init__(
        self,
        detail: str = "",
        *,
        headline: str | None = None,
        hint: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(detail, headline=headline, hint=hint)
        self.status = status


class AuthError(ApiError):
    code = "auth"
    action = Action.SET_KEY
    default_headline = "The server refused the API key"
    default_hint = "Check the API key for this provider, and that it has access to this model."


class ModelNotFoundError(ApiError):
    code = "model_not_found"
    action = Action.CHOOSE_MODEL
    default_headline = "The server does not know this model"
    default_hint = "Choose a model this server offers (or check its spelling) and try again."


class ContextTooLongError(ApiError):
    code = "context_length_exceeded"
    action = Action.TRIM_HISTORY
    default_headline = "The conversation is too long for this model"
    default_hint = "Trim the oldest messages, start a new conversation or pick a larger model."


class BadRequestError(ApiError):
    """The server rejected the request itself, often one parameter (named in `param`)."""

    code = "bad_request"
    action = Action.OPEN_SETTINGS
    default_headline = "The server rejected the request"
    default_hint = "Check the request parameters in Settings and try again."

    def __init__(
        self,
        detail: str = "",
        *,
        headline: str | None = None,
        hint: str | None = None,
        status: int | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(detail, headline=headline, hint=hint, status=status)
        self.param = param
        if param and hint is None:
            self.hint = (
                f"Change or clear the {param} parameter for this model "
                "(Settings or the conversation's parameters) and send again."
            )


class ImagesNotSupportedError(ApiError):
    """The server or model refused the images of a request (a text-only model)."""

    code = "images_not_supported"
    action = Action.CHOOSE_MODEL
    default_headline = "This model does not accept images"
    default_hint = (
        "Pick a model that sees images (a vision model), or remove the images and send again; "
        "your message and its attachments are kept."
    )


class ToolsNotSupportedError(ApiError):
    """The server or model refused the `tools` of a request (no function calling there)."""

    code = "tools_not_supported"
    action = Action.SEND_WITHOUT_TOOLS
    default_headline = "This model or server does not take tools"
    default_hint = (
        "Send again without tools (the toggle in the composer, or `kibitz ask` without "
        "--tools), or pick a model that can call functions."
    )


# -- tools (MCP servers) -----------------------------------------------------------------------


class ToolServerError(KibitzError):
    """An MCP server could not be started or reached, or stopped answering: `server` names it.

    The detail says exactly what failed (the command that is missing, the URL that refused the
    connection, the exit status and the last lines of the server's stderr)."""

    code = "tool_server"
    action = Action.OPEN_TOOLS
    default_headline = "A tool server could not be started"
    default_hint = "Check the server's command or URL in Settings → Tools."

    def __init__(
        self,
        detail: str = "",
        *,
        server: str,
        headline: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(detail, headline=headline, hint=hint)
        self.server = server


class ToolLoopLimitError(KibitzError):
    """The model kept calling tools for MAX_TOOL_ROUNDS requests in a row: the turn stops."""

    code = "tool_rounds"
    action = Action.RETRY
    default_headline = "Stopped after 10 rounds of tool calls"
    default_hint = (
        "The calls and results so far are kept. Ask again to let the model go on, or narrow "
        "the question."
    )


class ToolCallError(KibitzError):
    """One tool call failed (it raised, timed out, returned an error, or its server failed):
    the text goes back to the model as the call's error result; the turn goes on."""

    code = "tool_call"
    default_headline = "The tool call failed"
    default_hint = "The model was told; it may try another way."


class RateLimitError(ApiError):
    code = "rate_limited"
    retryable = True
    default_headline = "The server is rate-limiting requests"
    default_hint = "Wait a little and retry, or check your plan's limits and billing."

    def __init__(
        self,
        detail: str = "",
        *,
        headline: str | None = None,
        hint: str | None = None,
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail, headline=headline, hint=hint, status=status)
        self.retry_after = retry_after


class QuotaExceededError(ApiError):
    """429 insufficient_quota: retrying cannot help."""

    code = "insufficient_quota"
    action = Action.NONE
    default_headline = "The account has run out of credit"
    default_hint = "Check the plan and billing details with your provider."


class ServerError(ApiError):
    code = "server_error"
    retryable = True
    default_headline = "The server had an internal error"
    default_hint = "Try again in a moment; the provider may be having an outage."


class ApiConnectionError(ApiError):
    code = "connection"
    retryable = True
    default_headline = "Could not reach the server"
    default_hint = "Check the network and the provider's base URL, then retry."


class ApiTimeoutError(ApiError):
    code = "timeout"
    retryable = True
    default_headline = "The server took too long to answer"
    default_hint = "Retry; if it keeps happening, raise the timeout or pick a faster model."


class StreamInterruptedError(ApiError):
    code = "stream_interrupted"
    default_headline = "The connection dropped in the middle of the reply"
    default_hint = "The partial reply was kept; Retry to ask again."


class StreamStalledError(ApiError):
    code = "stream_stalled"
    default_headline = "The server stopped sending"
    default_hint = "The partial reply was kept; Retry, or raise the stall timeout for slow models."


class MalformedResponseError(ApiError):
    code = "malformed_response"
    default_headline = "The server sent something Kibitz could not read"
    default_hint = (
        "Check that the base URL points at an OpenAI-compatible /v1 endpoint; "
        "the partial reply was kept."
    )


class CancelledByUserError(ApiError):
    """Not a failure to show loudly: the user pressed Stop."""

    code = "cancelled"
    action = Action.NONE
    default_headline = "Stopped"
    default_hint = "The partial reply was kept."
