"""Without a usable keyring: the error says so and names the ways on; keys shown masked."""

from __future__ import annotations

import pytest
from keyring.backends import fail

from kibitz.core import errors
from kibitz.core.secrets import (
    KeyFallback,
    KeyringSecretStore,
    MemorySecretStore,
    SessionSecretStore,
    display_key,
    key_fallbacks,
    resolve_api_key,
)
from kibitz.core.settings import ProviderProfile, Settings, effective_provider

SETTINGS = (
    Settings()
    .with_profile(ProviderProfile("openai"))
    .with_profile(ProviderProfile("router", kind="openrouter"))
    .with_profile(ProviderProfile("ollama", kind="ollama"))
)


def test_display_key_shows_a_recognisable_unusable_form() -> None:
    assert display_key("sk-proj-abcdefghijklmnop1234") == "sk-…1234"
    assert display_key("0123456789abcdef0123456789abcdef") == "012…cdef"  # Azure-style
    assert display_key("not-needed") == "••••"
    assert display_key("") == "••••"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("openai", (KeyFallback.MEMORY, KeyFallback.ENVIRONMENT)),
        ("default", (KeyFallback.MEMORY, KeyFallback.ENVIRONMENT)),  # no profile: the SDK's way
        ("router", (KeyFallback.MEMORY,)),  # OPENAI_API_KEY is never sent to another host
    ],
)
def test_the_environment_is_offered_only_where_its_key_would_go(
    name: str, expected: tuple[KeyFallback, ...]
) -> None:
    assert key_fallbacks(effective_provider(SETTINGS, {}, name=name)) == expected


def test_no_keyring_says_so_and_offers_memory_or_the_environment() -> None:
    store = KeyringSecretStore(backend=fail.Keyring())
    choice = effective_provider(SETTINGS, {}, name="openai")
    with pytest.raises(errors.KeyringUnavailableError) as caught:
        resolve_api_key(choice, store, {})
    error = caught.value
    assert error.headline == "No system keyring is available"
    assert "no usable backend" in error.detail
    assert error.hint == (
        "Keep the key in memory for this run only (it is forgotten when Kibitz quits), or set "
        "OPENAI_API_KEY in the environment and start Kibitz again; Kibitz never writes keys to "
        "a file."
    )
    assert error.action is errors.Action.SET_KEY


def test_for_another_host_only_memory_is_offered() -> None:
    store = KeyringSecretStore(backend=fail.Keyring())
    choice = effective_provider(SETTINGS, {}, name="router")
    with pytest.raises(errors.KeyringUnavailableError) as caught:
        resolve_api_key(choice, store, {"OPENAI_API_KEY": "sk-env-must-not-go-to-router"})
    assert "OPENAI_API_KEY" not in caught.value.hint
    assert caught.value.hint.startswith("Keep the key in memory for this run only")


def test_keeping_the_key_in_memory_works_without_a_keyring() -> None:
    session = SessionSecretStore(KeyringSecretStore(backend=fail.Keyring()), MemorySecretStore())
    with pytest.raises(errors.KeyringUnavailableError):
        session.set_key("router", "sk-router-0123456789abcdef")
    session.set_key("router", "sk-router-0123456789abcdef", remember=False)
    choice = effective_provider(SETTINGS, {}, name="router")
    assert resolve_api_key(choice, session, {}).reveal() == "sk-router-0123456789abcdef"
    # Forgetting it needs no keyring either; with nothing in memory the keyring's error stands.
    assert session.delete_key("router") is True
    assert session.memory.get_key("router") is None
    with pytest.raises(errors.KeyringUnavailableError):
        session.delete_key("router")
