"""What each server and model accept, learned from what they refused.

Models differ in the parameters they take (OpenAI's reasoning models refuse `temperature`; many
local models take no `tools`), and servers say so with a 400 naming the parameter. Kibitz
remembers such a refusal for that provider profile and model, tells the user once, and leaves
the parameter out of that model's later requests, so nobody edits settings after every refusal.
The book is a small JSON file in the data folder; Settings lists what was learned, and a
refusal can be forgotten there (a server upgrade may lift it).

Only parameters Kibitz can leave out without changing what the user asked for are learned: the
sampling and length parameters, `reasoning_effort`, `response_format` and `tools` (the reply
then comes without tool calls). Images are never dropped: a text-only model gets an error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kibitz.core.errors import BadRequestError, KibitzError, ToolsNotSupportedError
from kibitz.core.types import RequestParams

log = logging.getLogger(__name__)

FILE_NAME = "capabilities.json"
TOOLS = "tools"
# RequestParams fields a model may refuse that can be left out.
_DROPPABLE_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "n",
        "reasoning_effort",
        "response_format",
    }
)
LEARNABLE = _DROPPABLE_PARAMS | {TOOLS}


@dataclass(frozen=True, slots=True)
class Refusal:
    """A parameter a model refused: when, and the server's words."""

    param: str
    message: str
    at: float


def told(model: str, param: str) -> str:
    """What the user is told once, when a refusal was learned."""
    what = "tools" if param == TOOLS else param
    return (
        f"{model} does not take {what}: Kibitz leaves it out of this model's requests from now "
        "on (Settings → Providers lists what models refused; forget it there to send it again)."
    )


def refused_parameter(error: KibitzError) -> str | None:
    """The parameter `error` says the model does not take, if it is one Kibitz can leave out."""
    if isinstance(error, ToolsNotSupportedError):
        # Not when the server refused one tool's schema: without tools is a choice, not a fact.
        return TOOLS if error.headline == ToolsNotSupportedError.default_headline else None
    if not isinstance(error, BadRequestError) or error.param not in _DROPPABLE_PARAMS:
        return None
    if error.param == "max_tokens" and "max_completion_tokens" in error.detail:
        # The model takes the limit under its other name: leaving it out would drop the
        # user's limit, so the error says what to change instead.
        return None
    return error.param


class CapabilityBook:
    """The refusals learned so far, per provider profile and model; safe across threads."""

    def __init__(self, path: Path | None) -> None:
        """`path`: the JSON file (None keeps the book in memory only)."""
        self._path = path
        self._lock = threading.Lock()
        self._stamp: int | None = None  # the file's mtime when read: another process may write
        self._entries: dict[str, dict[str, dict[str, Refusal]]] = self._read()

    def _refresh(self) -> None:
        """Read the file again if another process (or window) changed it; under the lock."""
        if self._path is not None and self._file_stamp() != self._stamp:
            self._entries = self._read()

    def _file_stamp(self) -> int | None:
        try:
            return self._path.stat().st_mtime_ns if self._path is not None else None
        except OSError:
            return None

    def _read(self) -> dict[str, dict[str, dict[str, Refusal]]]:
        self._stamp = self._file_stamp()
        if self._path is None or self._stamp is None:
            return {}
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
            return {
                provider: {
                    model: {
                        param: Refusal(param, str(r.get("message", "")), float(r.get("at", 0)))
                        for param, r in refusals.items()
                        if param in LEARNABLE
                    }
                    for model, refusals in models.items()
                }
                for provider, models in data.get("refused", {}).items()
            }
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            # What was learned can be learned again; a broken file must not stop a request.
            log.warning("ignoring an unreadable %s: %s", self._path, exc)
            return {}

    def _write(self) -> None:
        if self._path is None:
            return
        data: dict[str, Any] = {
            "refused": {
                provider: {
                    model: {
                        p: {"message": r.message, "at": r.at} for p, r in sorted(refusals.items())
                    }
                    for model, refusals in sorted(models.items())
                    if refusals
                }
                for provider, models in sorted(self._entries.items())
            }
        }
        temporary = self._path.with_name(self._path.name + ".tmp")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
            os.replace(temporary, self._path)
            self._stamp = self._file_stamp()
        except OSError as exc:
            # Kept for this session; told in the log, not as an error: the request goes on.
            log.warning("could not save what models refused to %s: %s", self._path, exc)
            with contextlib.suppress(OSError):
                temporary.unlink()

    def refusals(self, provider: str, model: str) -> dict[str, Refusal]:
        with self._lock:
            self._refresh()
            return dict(self._entries.get(provider, {}).get(model, {}))

    def learned(self) -> list[tuple[str, str, Refusal]]:
        """Every refusal as (provider, model, refusal), sorted."""
        with self._lock:
            self._refresh()
            return [
                (provider, model, refusal)
                for provider, models in sorted(self._entries.items())
                for model, refusals in sorted(models.items())
                for _param, refusal in sorted(refusals.items())
            ]

    def learn(self, provider: str, model: str, param: str, message: str) -> bool:
        """Remember that `model` on `provider` refused `param`; False if it was known."""
        if param not in LEARNABLE or not model:
            return False
        with self._lock:
            self._refresh()
            refusals = self._entries.setdefault(provider, {}).setdefault(model, {})
            if param in refusals:
                return False
            refusals[param] = Refusal(param, message[:500], time.time())
            self._write()
        log.info("%s on %s refused %s: left out from now on", model, provider, param)
        return True

    def forget(self, provider: str, model: str, param: str | None = None) -> None:
        """Send `param` again (every parameter when None) to that model."""
        with self._lock:
            self._refresh()
            refusals = self._entries.get(provider, {}).get(model)
            if refusals is None:
                return
            if param is None:
                refusals.clear()
            else:
                refusals.pop(param, None)
            self._write()

    def leave_out(
        self, provider: str, model: str, params: RequestParams
    ) -> tuple[RequestParams, bool]:
        """`params` without what the model refused, and whether tools must stay out too."""
        refused = self.refusals(provider, model)
        if not refused:
            return params, False
        cleared = {name: None for name in refused if name in _DROPPABLE_PARAMS}
        if "response_format" in cleared:
            cleared["json_schema"] = None  # a schema goes as response_format too
        return dataclasses.replace(params, **cleared), TOOLS in refused
