"""What a server offers: its model list (cached on disk) and "Test connection".

The settings dialog shows the cached list at once and refreshes it in the background; a
free-text model name is always allowed, since many servers list nothing useful (Azure lists
base models, not deployments) or have no /models at all.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kibitz.core import errors
from kibitz.core.chat import (
    ChatClient,
    Failed,
    ProviderConfig,
    RetryPolicy,
    Started,
    build_request,
)
from kibitz.core.chat.fields import field_of
from kibitz.core.types import RequestParams

if TYPE_CHECKING:
    from kibitz.core.pricing import Price

log = logging.getLogger(__name__)

CACHE_FILE = "models.json"
STALE_AFTER_S = 24 * 3600.0
# Statuses of a server that has no GET /models (or a proxy that refuses it).
_NO_MODELS_ENDPOINT = frozenset({404, 405, 501})
_TEST_TIMEOUT_S = 20.0
_CACHE_VERSION = 1


async def list_models(provider: ProviderConfig) -> list[str]:
    """The model ids the server lists (GET {base}/models; Azure: its models endpoint with
    api-version), sorted. Raises a KibitzError (errors.ApiError and subclasses) on failure."""
    return sorted(str(field_of(entry, "id")) for entry in await _model_entries(provider))


async def _model_entries(provider: ProviderConfig) -> list[Any]:
    async with ChatClient(provider) as client:
        try:
            return await client.list_model_entries()
        except errors.ApiError as exc:
            if exc.status not in _NO_MODELS_ENDPOINT:
                raise
            # Not "the server does not know this model": the list itself does not exist.
            missing = errors.ApiError(
                exc.detail,
                headline="This server does not list its models",
                hint="Type the model name instead.",
                status=exc.status,
            )
            missing.action = errors.Action.NONE
            raise missing from exc


# -- Test connection ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    """What "Test connection" found, in words for the user (`headline`, `hint`).

    `via` says how the server was reached: its model list, or (where /models is missing or
    empty) a one-token completion, which `answered_by` names the model of.
    """

    ok: bool
    elapsed_ms: int
    via: Literal["models", "completion"]
    models: tuple[str, ...] = ()
    answered_by: str | None = None
    # Whether the model asked about is in `models`; None when that was not checked.
    model_listed: bool | None = None
    model: str | None = None
    error: errors.KibitzError | None = None

    @property
    def headline(self) -> str:
        if self.error is not None:
            return self.error.headline
        if self.via == "models":
            count = len(self.models)
            noun = "model" if count == 1 else "models"
            return f"Connected in {self.elapsed_ms} ms: {count} {noun} available"
        return f"Connected in {self.elapsed_ms} ms: {self.answered_by} answered"

    @property
    def hint(self) -> str:
        """What to do next, or a caveat; empty when there is nothing to add."""
        if self.error is not None:
            return self.error.hint
        if self.model_listed is False:
            return (
                f"The server does not list {self.model}; choose one of its models "
                "unless you know the name is right."
            )
        if self.via == "completion":
            return "This server does not list its models; type the model name."
        return ""

    def lines(self) -> list[str]:
        """The report as it is shown: headline (with the error's detail), then the hint."""
        first = self.headline
        if self.error is not None and self.error.detail:
            first = f"{first}: {self.error.detail}"
        return [first, self.hint] if self.hint else [first]

    def describe(self) -> str:
        """The whole report as one text, marked ✓ or ✗."""
        return ("✓ " if self.ok else "✗ ") + "\n".join(self.lines())


async def check_connection(
    provider: ProviderConfig, model: str | None = None, *, timeout: float = _TEST_TIMEOUT_S
) -> ConnectionReport:
    """Reach the server once and say plainly what happened (never raises a KibitzError).

    Calls GET /models; where that is missing (404/405/501) or lists nothing, sends a
    one-token, unstreamed completion to `model` (or the first listed one). No retries, and
    each request is bounded by `timeout`.
    """
    provider = dataclasses.replace(
        provider,
        read_timeout=min(provider.read_timeout, timeout),
        connect_timeout=min(provider.connect_timeout, timeout),
        max_retries=0,
    )
    started = time.perf_counter()

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    async with ChatClient(provider) as client:
        models: list[str] = []
        try:
            models = await client.list_models()
        except errors.ApiError as exc:
            if exc.status not in _NO_MODELS_ENDPOINT:
                return ConnectionReport(False, elapsed(), "models", model=model, error=exc)
            log.info(
                "%s has no model list (HTTP %s): trying a completion", provider.name, exc.status
            )
        except errors.KibitzError as exc:  # no key, an incomplete Azure profile
            return ConnectionReport(False, elapsed(), "models", model=model, error=exc)
        if models:
            listed = None if provider.is_azure or not model else model in models
            return ConnectionReport(
                True, elapsed(), "models", tuple(models), model_listed=listed, model=model
            )
        target = model or None
        if target is None:
            return ConnectionReport(
                False,
                elapsed(),
                "completion",
                error=errors.ConfigError(
                    "The server lists no models, so there is none to test with.",
                    headline="Enter a model name to test with",
                    hint="This server does not list its models; type the model name and "
                    "test again.",
                ),
            )
        return await _one_token(client, target, started)


# The name the settings dialog calls. (A module-level name starting with test_ is collected
# by pytest when imported into a test module: tests import this module, not the name.)
test_connection = check_connection


async def _one_token(client: ChatClient, model: str, started: float) -> ConnectionReport:
    body = build_request(
        [("user", "Reply with OK.")], RequestParams(model=model, max_tokens=1), stream=False
    )
    answered_by: str | None = None
    failure: errors.KibitzError | None = None
    async for event in client.stream(body, retry=RetryPolicy(max_retries=0)):
        if isinstance(event, Started):
            answered_by = event.model or model
        elif isinstance(event, Failed):
            failure = event.error
    elapsed = round((time.perf_counter() - started) * 1000)
    if failure is not None:
        return ConnectionReport(False, elapsed, "completion", model=model, error=failure)
    return ConnectionReport(True, elapsed, "completion", answered_by=answered_by, model=model)


# -- the cache ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CachedModels:
    models: tuple[str, ...]
    fetched_at: float  # unix seconds
    stale: bool  # older than the cache's max age: show it, and refresh


class ModelCache:
    """Model lists per profile and base URL, in one JSON file in the cache folder.

    Small and read whole: callers may run it on the UI thread. A file that cannot be read is
    ignored (and replaced by the next `put`), since everything in it can be fetched again.
    """

    def __init__(
        self,
        cache_dir: Path,
        *,
        max_age: float = STALE_AFTER_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = cache_dir / CACHE_FILE
        self._max_age = max_age
        self._clock = clock

    def get(self, profile: str, base_url: str | None) -> CachedModels | None:
        entry = self._read().get(_key(profile, base_url))
        if entry is None:
            return None
        models, fetched_at = entry
        stale = self._clock() - fetched_at > self._max_age
        return CachedModels(models, fetched_at, stale)

    def put(self, profile: str, base_url: str | None, models: list[str]) -> CachedModels:
        entries = self._read()
        now = self._clock()
        entries[_key(profile, base_url)] = (tuple(models), now)
        self._write(entries)
        return CachedModels(tuple(models), now, False)

    def forget(self, profile: str) -> None:
        """Drop every list kept for `profile` (it was deleted or renamed)."""
        entries = self._read()
        kept = {k: v for k, v in entries.items() if k[0] != profile}
        if len(kept) != len(entries):
            self._write(kept)

    def _read(self) -> dict[tuple[str, str], tuple[tuple[str, ...], float]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            log.warning("ignoring the unreadable model cache %s: %s", self.path, exc)
            return {}
        entries: dict[tuple[str, str], tuple[tuple[str, ...], float]] = {}
        items = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(items, list):
            log.warning("ignoring the model cache %s: not a cache file", self.path)
            return {}
        for item in items:
            parsed = _entry(item)
            if parsed is not None:
                entries[parsed[0]] = parsed[1]
        return entries

    def _write(self, entries: dict[tuple[str, str], tuple[tuple[str, ...], float]]) -> None:
        data = {
            "version": _CACHE_VERSION,
            "entries": [
                {"profile": p, "base_url": u, "models": list(m), "fetched_at": t}
                for (p, u), (m, t) in entries.items()
            ],
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".models.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh, indent=1)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            # A cache: failing to keep it costs one fetch later, not worth bothering the user.
            log.warning("could not write the model cache %s: %s", self.path, exc)


def _key(profile: str, base_url: str | None) -> tuple[str, str]:
    return profile, (base_url or "").rstrip("/")


def _entry(item: Any) -> tuple[tuple[str, str], tuple[tuple[str, ...], float]] | None:
    if not isinstance(item, dict):
        return None
    profile, url, models, at = (
        item.get(k) for k in ("profile", "base_url", "models", "fetched_at")
    )
    if not (isinstance(profile, str) and isinstance(url, str) and isinstance(models, list)):
        return None
    if isinstance(at, bool) or not isinstance(at, int | float):
        return None
    if not all(isinstance(m, str) for m in models):
        return None
    return (profile, url), (tuple(models), float(at))


PricesListed = Callable[[dict[str, "Price"]], None]


async def refresh_models(
    cache: ModelCache, provider: ProviderConfig, on_prices: PricesListed | None = None
) -> CachedModels:
    """Fetch the list from the server and keep it; raises a KibitzError on failure.

    OpenRouter's list carries each model's price: `on_prices` hears them (model id -> Price;
    models without a known price left out), from the same request."""
    entries = await _model_entries(provider)
    if on_prices is not None and provider.kind == "openrouter":
        from kibitz.core.pricing import listed_prices

        on_prices(listed_prices(entries, time.strftime("%Y-%m-%d")))
    names = sorted(str(field_of(entry, "id")) for entry in entries)
    return cache.put(provider.name, provider.base_url, names)
