"""Fixtures every end-to-end test shares: the fake server, and the app talking to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kibitz.core.secrets import KeyringSecretStore
from tests.end2end.app_driver import RunningApp, display_env, fake_server, running_app
from tests.support.fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with fake_server() as server:
        yield server


@pytest.fixture
def app(basedir: Path, tmp_path: Path, fake_openai: FakeOpenAI) -> Iterator[RunningApp]:
    """`kibitz --basedir` with the environment's key, talking to the fake server."""
    with running_app(basedir, display_env(base_url=fake_openai.url), tmp_path / "logs") as run:
        yield run


@pytest.fixture
def clean_keyring() -> Iterator[KeyringSecretStore]:
    """The test session's throwaway keyring, without a key for the default provider."""
    store = KeyringSecretStore()
    store.delete_key("default")
    try:
        yield store
    finally:
        store.delete_key("default")
