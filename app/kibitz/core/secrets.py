"""API keys: the SecretStore protocol, the OS keyring store, a memory store, and key lookup.

Keys are kept only in the system keyring (service "kibitz", user name = provider profile
name), or, when the user chooses it, in memory for one run. There is no file fallback: the
`fail`/`null` keyring backends and keyrings.alt's file backends count as "no keyring".

Every call here can block (D-Bus, an unlock prompt): callers run them off the UI thread.
"""

from __future__ import annotations

import enum
import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from kibitz.core import errors

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

    # Imported where used: the app makes its secret store before its first frame, which does
    # not load the settings schema (see kibitz.core.settings).
    from kibitz.core.settings.provider import KeySource, ProviderChoice

log = logging.getLogger(__name__)

SERVICE = "kibitz"
# Sent to local servers that need no key: the SDK refuses an empty one.
PLACEHOLDER_KEY = "not-needed"

_T = TypeVar("_T")


def mask(key: str) -> str:
    """A key as it may appear in a repr, a log or a dialog: the last four characters at most."""
    return "****" + key[-4:] if len(key) >= 16 else "****"


def display_key(key: str) -> str:
    """A stored key as the settings show it, recognisable but unusable: "sk-…abcd".

    Short keys (a local server's placeholder, a test) show nothing of themselves, since a
    few characters would be much of the key.
    """
    return f"{key[:3]}…{key[-4:]}" if len(key) >= 16 else "••••"


class KeyFallback(enum.StrEnum):
    """What the user can do when the keyring cannot hold a key (never a plaintext file)."""

    ENVIRONMENT = "environment"  # set OPENAI_API_KEY and start Kibitz again
    MEMORY = "memory"  # keep the key in memory for this run (SessionSecretStore remember=False)


def key_fallbacks(provider: ProviderChoice) -> tuple[KeyFallback, ...]:
    """The ways on for `provider` without a keyring. OPENAI_API_KEY is offered only where
    Kibitz would send it (api.openai.com, or no profile at all)."""
    from kibitz.core.settings.provider import KeySource

    if KeySource.ENVIRONMENT in provider.key_order:
        return (KeyFallback.MEMORY, KeyFallback.ENVIRONMENT)
    return (KeyFallback.MEMORY,)


def without_keyring(error: errors.SecretsError, provider: ProviderChoice) -> errors.SecretsError:
    """`error` (the keyring failed) with a hint naming what the user can do instead."""
    options = key_fallbacks(provider)
    hint = "Keep the key in memory for this run only (it is forgotten when Kibitz quits)"
    if KeyFallback.ENVIRONMENT in options:
        hint += ", or set OPENAI_API_KEY in the environment and start Kibitz again"
    else:
        hint += ", or start or unlock the system keyring and try again"
    hint += "; Kibitz never writes keys to a file."
    found = type(error)(error.detail, headline=error.headline, hint=hint)
    found.__cause__ = error.__cause__
    return found


@dataclass(frozen=True, slots=True)
class KeyringNotice:
    """What the app tells the user when keys cannot be saved, in plain words.

    `text` is the sentence to show (what is wrong, then what to do); `details` is the
    technical reason (the keyring backend, the D-Bus session) for a Details fold and the log,
    never for the headline.
    """

    text: str
    details: str


def keyring_notice(error: errors.SecretsError, provider: ProviderChoice) -> KeyringNotice:
    """`error` (the keyring failed) as the one plain message the app shows about it."""
    if isinstance(error, errors.KeyringLockedError):
        problem = (
            "Your password store (keyring) is locked, so keys can't be read or saved. "
            "Unlock it and try again."
        )
        ways = "You can also keep a key for this session only"
    else:
        if isinstance(error, errors.KeyringUnavailableError):
            why = "no keyring service is running"
            if "keeps keys in a file" in error.detail:
                why = "the only one available would keep keys in a plain file"
            problem = f"Kibitz can't reach a password store on this system ({why}), "
        else:
            problem = "Kibitz can't use the password store on this system, "
        problem += "so keys can't be saved."
        ways = "You can keep a key for this session only"
    if KeyFallback.ENVIRONMENT in key_fallbacks(provider):
        ways += ", or set OPENAI_API_KEY before starting Kibitz"
    details = f"{error.headline}: {error.detail}" if error.detail else error.headline
    return KeyringNotice(f"{problem} {ways}.", details)


class SecretStore(Protocol):
    """Where API keys are kept, one per provider profile name."""

    @property
    def description(self) -> str:
        """Where keys go, in words for the user (the UI must say so when not persistent)."""
        ...

    @property
    def persistent(self) -> bool: ...

    def get_key(self, provider: str) -> str | None: ...

    def set_key(self, provider: str, key: str) -> None: ...

    def delete_key(self, provider: str) -> bool:
        """Remove the key; False when there was none."""
        ...


def _check_provider(provider: str) -> None:
    if not provider.strip():
        raise errors.InvalidValueError("the provider name is empty")


def _clean_key(key: str) -> str:
    # Keys usually arrive from a paste or stdin with a trailing newline, which would make an
    # invalid HTTP header later; inner characters are the user's business.
    key = key.strip()
    if not key:
        raise errors.InvalidValueError("the API key is empty", hint="Paste the whole key.")
    return key


class KeyringSecretStore:
    """The OS keyring through the `keyring` library (Secret Service, Keychain, Credential
    Manager, KWallet). Raises errors.SecretsError subclasses, never keyring's own errors."""

    persistent = True

    def __init__(self, *, service: str = SERVICE, backend: KeyringBackend | None = None) -> None:
        self._service = service
        self._given = backend
        self._backend: KeyringBackend | None = None
        self._stale = False

    def __repr__(self) -> str:
        return f"KeyringSecretStore(service={self._service!r})"

    @property
    def description(self) -> str:
        return "the system keyring"

    def backend_name(self) -> str:
        """The keyring backend in use, e.g. "keyring.backends.SecretService.Keyring"."""
        backend = self._usable_backend()
        return f"{type(backend).__module__}.{type(backend).__qualname__}"

    def get_key(self, provider: str) -> str | None:
        _check_provider(provider)
        backend = self._usable_backend()
        value = _guard(lambda: backend.get_password(self._service, provider))
        return value if isinstance(value, str) and value else None

    def set_key(self, provider: str, key: str) -> None:
        _check_provider(provider)
        secret = _clean_key(key)
        backend = self._usable_backend()
        _guard(lambda: backend.set_password(self._service, provider, secret))
        log.info("stored the API key for %r in %s", provider, type(backend).__module__)

    def delete_key(self, provider: str) -> bool:
        from keyring.errors import PasswordDeleteError

        _check_provider(provider)
        backend = self._usable_backend()
        try:
            _guard(lambda: backend.delete_password(self._service, provider))
        except errors.SecretsError as exc:
            if isinstance(exc.__cause__, PasswordDeleteError):  # nothing stored under that name
                return False
            raise
        log.info("deleted the API key for %r", provider)
        return True

    def _usable_backend(self) -> KeyringBackend:
        if self._backend is not None:
            return self._backend
        backend = self._given
        if backend is None:
            import keyring
            import keyring.core

            if self._stale:
                # keyring picks its backend once per process; look again, since the user may
                # have started a keyring daemon after the last failure.
                _guard(keyring.core.init_backend)
            backend = _guard(keyring.get_keyring)
        problem = unusable_reason(backend)
        if problem is not None:
            self._stale = True
            raise errors.KeyringUnavailableError(problem)
        self._backend = backend
        return backend


def unusable_reason(backend: Any) -> str | None:
    """Why a keyring backend must not hold keys, or None when it is a real OS keyring."""
    from keyring.backends import chainer, fail, null

    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    if isinstance(backend, fail.Keyring | null.Keyring):
        reason = "the keyring library found no usable backend"
        if sys.platform.startswith("linux") and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            reason += " (there is no D-Bus session: DBUS_SESSION_BUS_ADDRESS is not set)"
        return f"{reason}; it chose {name}"
    if type(backend).__module__.startswith("keyrings.alt"):
        return f"{name} keeps keys in a file; Kibitz only stores keys in the system keyring"
    if isinstance(backend, chainer.ChainerBackend):
        children = list(backend.backends)
        reasons = [unusable_reason(b) for b in children]
        if not children or all(reasons):
            return "the keyring library found no usable backend"
        bad = next((r for r in reasons if r), None)
        if bad is not None:
            return bad  # a file backend in the chain could receive the key
    return None


def map_keyring_error(exc: BaseException) -> errors.SecretsError:
    """Turn any keyring (or D-Bus) failure into the matching user-facing error."""
    from keyring import errors as kerr

    detail = str(exc) or type(exc).__name__
    if isinstance(exc, kerr.NoKeyringError):
        return errors.KeyringUnavailableError(detail)
    if isinstance(exc, kerr.KeyringLocked):
        return errors.KeyringLockedError(detail)
    if isinstance(exc, kerr.InitError):
        return errors.SecretsError(detail, headline="The system keyring could not be opened")
    if not isinstance(exc, kerr.KeyringError):
        detail = f"{type(exc).__name__}: {detail}"
    return errors.SecretsError(detail)


def _backend_errors() -> tuple[type[BaseException], ...]:
    from keyring.errors import KeyringError

    found: list[type[BaseException]] = [KeyringError, OSError]
    if sys.platform.startswith("linux"):
        # The Secret Service backend lets some secretstorage / jeepney errors through
        # (an item locked on its own, the daemon going away mid-call).
        try:
            from jeepney.wrappers import DBusErrorResponse  # type: ignore[import-untyped]
            from secretstorage.exceptions import SecretStorageException
        except ImportError:
            pass
        else:
            found += [SecretStorageException, DBusErrorResponse]
    return tuple(found)


def _guard(call: Callable[[], _T]) -> _T:
    try:
        return call()
    except _backend_errors() as exc:
        raise map_keyring_error(exc) from exc


class MemorySecretStore:
    """Keys kept in this process only, forgotten at exit: the user's explicit choice when no
    keyring is available or wanted. The UI says so wherever the key is shown."""

    persistent = False

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"MemorySecretStore(providers={sorted(self._keys)!r})"

    @property
    def description(self) -> str:
        return "memory only (forgotten when Kibitz quits)"

    def get_key(self, provider: str) -> str | None:
        _check_provider(provider)
        return self._keys.get(provider)

    def set_key(self, provider: str, key: str) -> None:
        _check_provider(provider)
        self._keys[provider] = _clean_key(key)

    def delete_key(self, provider: str) -> bool:
        _check_provider(provider)
        return self._keys.pop(provider, None) is not None


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key and where it came from; its repr and str show only the last four characters."""

    secret: str = field(repr=False)
    source: KeySource
    provider: str

    def reveal(self) -> str:
        """The key itself, for the HTTP client and nothing else."""
        return self.secret

    def __repr__(self) -> str:
        key = mask(self.secret)
        return f"ApiKey(provider={self.provider!r}, source={self.source.value}, key={key})"

    __str__ = __repr__


def resolve_api_key(
    provider: ProviderChoice, store: SecretStore, env: Mapping[str, str] = os.environ
) -> ApiKey:
    """Find the key for `provider`, trying `provider.key_order` in turn:

    - the environment provider (no profile configured): OPENAI_API_KEY, then the keyring
      entry "default" (what `kibitz key set` stores before any profile exists);
    - an OpenAI profile on api.openai.com: its keyring entry, then OPENAI_API_KEY;
    - any other profile: its keyring entry only (an OpenAI key is never sent elsewhere);
    - local servers (Ollama, LM Studio, llama.cpp, vLLM): the keyring entry if one was set,
      else a placeholder, as they accept any key unless started with one.

    A keyring failure does not stop the search; if no source has a key it is raised, since it
    explains why, with a hint naming the ways on (`key_fallbacks`). Otherwise raises
    errors.NoApiKeyError.
    """
    from kibitz.core.settings.provider import KeySource

    keyring_error: errors.SecretsError | None = None
    for source in provider.key_order:
        if source is KeySource.ENVIRONMENT:
            value = (env.get("OPENAI_API_KEY") or "").strip()
            if value:
                return ApiKey(value, source, provider.name)
        elif source is KeySource.KEYRING:
            try:
                stored = store.get_key(provider.name)
            except errors.SecretsError as exc:
                log.warning("keyring lookup for %r failed: %s", provider.name, exc)
                keyring_error = exc
                continue
            if stored:
                return ApiKey(stored, source, provider.name)
        else:
            return ApiKey(PLACEHOLDER_KEY, source, provider.name)
    if keyring_error is not None:
        raise without_keyring(keyring_error, provider)
    where = f"in {store.description}"
    if KeySource.ENVIRONMENT in provider.key_order:
        where += " or in OPENAI_API_KEY"
    raise errors.NoApiKeyError(f"no API key for provider {provider.name!r} {where}")


class SessionSecretStore:
    """The app's key store: the OS keyring, plus keys the user chose to keep in memory only.

    A key kept in memory (because no keyring was usable, or by choice) is found first; the
    keyring is asked otherwise. Writes go to the keyring unless `remember=False`.
    """

    def __init__(self, keyring_store: SecretStore, memory: MemorySecretStore | None = None):
        self.keyring = keyring_store
        self.memory = memory or MemorySecretStore()

    @property
    def description(self) -> str:
        return self.keyring.description

    @property
    def persistent(self) -> bool:
        return True

    def get_key(self, provider: str) -> str | None:
        return self.memory.get_key(provider) or self.keyring.get_key(provider)

    def kept_for_session(self, provider: str) -> bool:
        """True when `provider`'s key is one kept in memory for this run (never saved)."""
        return self.memory.get_key(provider) is not None

    def set_key(self, provider: str, key: str, *, remember: bool = True) -> None:
        if remember:
            self.keyring.set_key(provider, key)
            self.memory.delete_key(provider)
        else:
            self.memory.set_key(provider, key)

    def delete_key(self, provider: str) -> bool:
        in_memory = self.memory.delete_key(provider)
        try:
            return self.keyring.delete_key(provider) or in_memory
        except errors.KeyringUnavailableError:
            if in_memory:  # the key the user asked to forget was only ever in memory
                return True
            raise
