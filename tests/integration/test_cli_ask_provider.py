"""`kibitz ask --provider NAME`, `-c ID` on the conversation's own provider, and the no-keyring
hint the CLI gives (what a command can do: OPENAI_API_KEY, not the app's "keep it in memory")."""

from __future__ import annotations

from pathlib import Path

from tests.integration.cli_support import cli_env, run_cli, stored, write_settings
from tests.support.fake_openai import FakeOpenAI

# Local servers take any key: no keyring is needed to tell the two profiles apart.
PROFILES = """
[providers]
active = "home"

[[providers.profiles]]
name = "home"
kind = "llamacpp"
base_url = "{url}"
extra_headers = {{ X-Profile = "home" }}

[[providers.profiles]]
name = "work"
kind = "llamacpp"
base_url = "{url}"
extra_headers = {{ X-Profile = "work" }}
"""


def _ask(basedir: Path, server: FakeOpenAI, *args: str) -> None:
    result = run_cli(["--basedir", str(basedir), "ask", *args], env=cli_env(key=None))
    assert result.returncode == 0, result.describe()


def _profiles_asked(server: FakeOpenAI) -> list[str]:
    return [request.headers.get("x-profile", "") for request in server.chat_requests]


def test_provider_chooses_the_profile_and_is_kept(basedir: Path, fake_openai: FakeOpenAI) -> None:
    write_settings(basedir, PROFILES.format(url=fake_openai.url))
    _ask(basedir, fake_openai, "--provider", "work", "hello")
    _ask(basedir, fake_openai, "plain")
    first, second = stored(basedir)
    assert (first.conversation.provider, second.conversation.provider) == ("work", None)
    # -c goes on with the conversation's own provider, not the active one.
    _ask(basedir, fake_openai, "-c", str(first.conversation.id), "and again")
    # --provider with -c moves that conversation to the profile named.
    _ask(basedir, fake_openai, "-c", str(second.conversation.id), "--provider", "work", "move")
    assert _profiles_asked(fake_openai) == ["work", "home", "work", "work"]
    assert stored(basedir)[1].conversation.provider == "work"


def test_an_unknown_provider_is_refused_naming_the_profiles(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    write_settings(basedir, PROFILES.format(url=fake_openai.url))
    result = run_cli(
        ["--basedir", str(basedir), "ask", "--provider", "nosuch", "hello"], env=cli_env()
    )
    assert result.returncode == 2, result.describe()
    assert result.messages == [
        "kibitz: Unknown provider: there is no provider profile named 'nosuch'",
        "  Use one of the configured profiles (home, work) or add one in Settings.",
    ]
    assert stored(basedir) == []
    assert fake_openai.chat_requests == []


def test_without_a_keyring_the_hint_is_what_the_cli_can_do(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    env = cli_env(
        base_url=fake_openai.url,
        key=None,
        extra={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )
    result = run_cli(["--basedir", str(basedir), "ask", "hello"], env=env)
    assert result.returncode == 1, result.describe()
    problem, hint = result.messages
    assert "No system keyring" in problem, result.describe()
    assert "Set OPENAI_API_KEY in the environment and run the command again" in hint
    assert "memory" not in hint, hint
    assert "start Kibitz again" not in hint, hint
    assert "Your question is saved in conversation 1." in hint
