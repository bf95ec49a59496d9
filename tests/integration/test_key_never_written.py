"""A profile's key lives in the real keyring only: after a run, no file in the base dir holds it.

Run through `bash tests/run.sh tests/integration/test_key_never_written.py` (the private
Secret Service); elsewhere it is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from kibitz.core import server_models
from kibitz.core.conversation import connect
from kibitz.core.paths import resolve_paths
from kibitz.core.secrets import SERVICE, KeyringSecretStore, display_key
from kibitz.core.server_models import ModelCache
from kibitz.core.settings import ProviderProfile, Settings, save_settings
from tests.integration.cli_support import cli_env, run_cli, stored
from tests.support.fake_openai import FakeOpenAI, Fault

PROFILE = "work"
KEY = "sk-work-profile-7c1e9a0b3d5f42e8a6b4c2d0"


@pytest.fixture
def keyring_store() -> Iterator[KeyringSecretStore]:
    store = KeyringSecretStore()
    yield store
    store.delete_key(PROFILE)


@pytest.fixture
def debug_log(basedir: Path) -> Iterator[Path]:
    """This process's own Kibitz logging, at DEBUG, into the base dir's log folder."""
    path = basedir / "logs" / "in-process.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    logger = logging.getLogger("kibitz")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        handler.close()


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]


@pytest.mark.keyring
@pytest.mark.asyncio
async def test_no_file_in_the_base_dir_ever_holds_the_profiles_key(
    basedir: Path,
    fake_openai: FakeOpenAI,
    keyring_store: KeyringSecretStore,
    debug_log: Path,
) -> None:
    paths = resolve_paths(basedir).ensure()
    settings = (
        Settings()
        .with_profile(ProviderProfile(PROFILE, kind="custom", base_url=fake_openai.url))
        .with_value("providers.active", PROFILE)
        .with_value("defaults.temperature", 0.2)
    )
    save_settings(paths.settings_file, settings)
    keyring_store.set_key(PROFILE, KEY)
    assert keyring_store.backend_name() == "keyring.backends.SecretService.Keyring"
    assert KeyringSecretStore().get_key(PROFILE) == KEY  # service "kibitz", user "work"
    assert SERVICE == "kibitz"
    fake_openai.require_key(KEY)
    env = cli_env(key=None)  # no OPENAI_API_KEY: the keyring is the only source
    base = ["--basedir", str(basedir)]

    # A good exchange, and one where the server echoes the key back in its error.
    result = run_cli([*base, "-v", "ask", "hello from the work profile"], env=env)
    assert result.returncode == 0, result.describe()
    assert result.stdout == "You said: hello from the work profile\n"
    fake_openai.script(Fault.http(400, {"error": {"message": f"bad request for key {KEY}"}}))
    failed = run_cli([*base, "-v", "ask", "and again"], env=env)
    assert failed.returncode == 1, failed.describe()
    assert KEY not in failed.stderr
    assert [r.api_key for r in fake_openai.chat_requests] == [KEY, KEY]
    assert [s.user_texts for s in stored(basedir)] == [
        ["hello from the work profile"],
        ["and again"],
    ]

    # The settings dialog's work, in this process: test connection, model list into the cache.
    provider = connect.provider_config(settings, KeyringSecretStore(), {})
    report = await server_models.check_connection(provider, "gpt-4o-mini")
    assert report.ok, report.lines()
    await server_models.refresh_models(ModelCache(paths.cache_dir), provider)
    assert display_key(KEY) == "sk-…c2d0"

    # Exports of every conversation, both formats.
    md = run_cli([*base, "export", "--out", str(basedir / "exports" / "md")], env=env)
    assert md.returncode == 0, md.describe()
    out = str(basedir / "exports" / "all.json")
    js = run_cli([*base, "export", "--format", "json", "--out", out], env=env)
    assert js.returncode == 0, js.describe()

    scanned = files_under(basedir)
    names = {p.relative_to(basedir).as_posix() for p in scanned}
    # The scan covered every kind of file a run leaves.
    for expected in (
        "config/settings.toml",
        "data/kibitz.sqlite3",
        "logs/kibitz.log",
        "logs/in-process.log",
        "cache/models.json",
        "exports/all.json",
    ):
        assert expected in names, sorted(names)
    assert any(n.startswith("exports/md/") and n.endswith(".md") for n in names)
    for needle in (KEY, KEY[-12:], KEY[:16]):
        holding = [p for p in scanned if needle.encode() in p.read_bytes()]
        assert holding == [], f"{needle!r} found in {holding}"
    # The logs did record the work (so their silence about the key means something), and the
    # echoed key reached the user redacted.
    log_text = (basedir / "logs" / "kibitz.log").read_text(encoding="utf-8")
    assert "stream failed" in log_text
    assert "exported 2 conversations" in log_text
    assert f"stored the API key for {PROFILE!r}" in debug_log.read_text(encoding="utf-8")
    assert "[redacted]" in failed.stderr
