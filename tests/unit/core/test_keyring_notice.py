"""What the app says when the keyring fails: plain words and the way on, the technical reason
apart (for a Details fold and the log), OPENAI_API_KEY only where Kibitz would send it."""

from __future__ import annotations

import pytest
from keyring.backends import fail

from kibitz.core import errors
from kibitz.core.secrets import KeyringSecretStore, keyring_notice, resolve_api_key
from kibitz.core.settings import ProviderProfile, Settings, effective_provider

SETTINGS = Settings().with_profile(ProviderProfile("Router", kind="openrouter"))


def failure(name: str | None) -> errors.SecretsError:
    store = KeyringSecretStore(backend=fail.Keyring())
    with pytest.raises(errors.SecretsError) as caught:
        resolve_api_key(
            effective_provider(SETTINGS if name else Settings(), {}, name=name), store, {}
        )
    return caught.value


def test_no_keyring_in_plain_words_with_the_reason_apart() -> None:
    error = failure(None)
    notice = keyring_notice(error, effective_provider(Settings(), {}))
    assert notice.text == (
        "Kibitz can't reach a password store on this system (no keyring service is running), "
        "so keys can't be saved. You can keep a key for this session only, or set "
        "OPENAI_API_KEY before starting Kibitz."
    )
    assert "keyring.backends.fail.Keyring" in notice.details
    assert "keyring.backends" not in notice.text


def test_another_host_is_not_offered_the_openai_key() -> None:
    notice = keyring_notice(failure("Router"), effective_provider(SETTINGS, {}, name="Router"))
    assert notice.text.endswith("You can keep a key for this session only.")
    assert "OPENAI_API_KEY" not in notice.text


def test_a_locked_keyring_says_unlock_it() -> None:
    locked = errors.KeyringLockedError("Failed to unlock the collection!")
    notice = keyring_notice(locked, effective_provider(Settings(), {}))
    assert notice.text == (
        "Your password store (keyring) is locked, so keys can't be read or saved. Unlock it and "
        "try again. You can also keep a key for this session only, or set OPENAI_API_KEY before "
        "starting Kibitz."
    )
    assert notice.details == "The system keyring is locked: Failed to unlock the collection!"


def test_a_file_backend_is_named_for_what_it_is() -> None:
    refused = errors.KeyringUnavailableError(
        "keyrings.alt.file.PlaintextKeyring keeps keys in a file; Kibitz only stores keys in "
        "the system keyring"
    )
    notice = keyring_notice(refused, effective_provider(Settings(), {}))
    assert notice.text.startswith(
        "Kibitz can't reach a password store on this system (the only one available would keep "
        "keys in a plain file), so keys can't be saved."
    )
