"""Settings: schema validation, the TOML file (load, save, corrupt, migrations), provider choice."""

from __future__ import annotations

import dataclasses
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest

from kibitz.core import errors
from kibitz.core.settings import (
    OPENAI_BASE_URL,
    SCHEMA_VERSION,
    InvalidSettingError,
    KeySource,
    ProviderProfile,
    ProvidersSettings,
    Settings,
    effective_provider,
    load_settings,
    migrate,
    save_settings,
    setting_specs,
    spec_for,
)
from kibitz.core.settings.presets import Preset, with_default, with_preset
from kibitz.core.types import RequestParams

# -- the schema --------------------------------------------------------------------------------


def test_defaults_are_read_by_attribute() -> None:
    s = Settings()
    assert s.defaults.model == "gpt-4o-mini"
    assert s.defaults.temperature is None
    assert s.chat.stall_timeout_s == 60
    assert s.chat.max_retries == 3
    assert s.chat.auto_title is True
    assert s.presets.items == ()
    assert s.presets.default is None
    assert s.ui.theme == "system"
    assert s.ui.send_key == "enter"
    assert s.ui.close_to_tray is False
    assert s.ui.hotkey == "ctrl+alt+space"
    assert s.providers.profiles == ()
    assert s.providers.active is None


def test_request_defaults_become_request_params() -> None:
    s = (
        Settings()
        .with_value("defaults.model", "gpt-4.1")
        .with_value("defaults.temperature", 0.2)
        .with_value("defaults.stop", ["END", "###"])
        .with_value("defaults.n", 2)
        .with_value("defaults.response_format", "json_object")
    )
    assert s.defaults.to_request_params() == RequestParams(
        model="gpt-4.1", temperature=0.2, stop=("END", "###"), n=2, response_format="json_object"
    )


@pytest.mark.parametrize(
    ("path", "value", "allowed"),
    [
        ("defaults.temperature", 3, "from 0 to 2"),
        ("defaults.temperature", -0.1, "from 0 to 2"),
        ("defaults.temperature", float("nan"), "from 0 to 2"),
        ("defaults.temperature", "hot", "a number"),
        ("defaults.temperature", True, "a number"),
        ("defaults.top_p", 1.5, "from 0 to 1"),
        ("defaults.presence_penalty", -2.5, "from -2 to 2"),
        ("defaults.frequency_penalty", 2.01, "from -2 to 2"),
        ("defaults.n", 0, "from 1 to 8"),
        ("defaults.n", 9, "from 1 to 8"),
        ("defaults.n", 1.5, "whole number"),
        ("defaults.max_tokens", 0, "at least 1"),
        ("defaults.seed", 2**63, "whole number"),
        ("defaults.stop", ["a", "b", "c", "d", "e"], "at most 4"),
        ("defaults.stop", "END", "a list"),
        ("defaults.stop", [""], "non-empty"),
        ("defaults.model", "  ", "non-empty text"),
        ("defaults.response_format", "yaml", "text, json_object"),
        ("chat.stall_timeout_s", 1, "from 5 to 3600"),
        ("chat.max_retries", 11, "from 0 to 10"),
        ("chat.auto_title", "yes", "true or false"),
        ("ui.theme", "blue", "system, light, dark"),
        ("ui.send_key", "shift+enter", "enter, ctrl+enter"),
        ("ui.font_size", 200, "from 6 to 72"),
    ],
)
def test_invalid_values_are_refused_naming_setting_value_and_range(
    path: str, value: object, allowed: str
) -> None:
    with pytest.raises(errors.InvalidValueError) as info:
        Settings().with_value(path, value)
    err = info.value
    assert isinstance(err, InvalidSettingError)
    assert err.path == path
    assert path in err.headline
    assert repr(value)[:20] in err.detail
    assert allowed in err.hint
    assert err.action is errors.Action.OPEN_SETTINGS


def test_replace_validates_too() -> None:
    with pytest.raises(errors.InvalidValueError, match=r"chat\.stall_timeout_s"):
        dataclasses.replace(Settings().chat, stall_timeout_s=0)


def test_values_are_canonicalised() -> None:
    s = Settings().with_value("defaults.temperature", 1).with_value("defaults.stop", ["x"])
    assert s.defaults.temperature == 1.0
    assert type(s.defaults.temperature) is float
    assert s.defaults.stop == ("x",)
    assert s.with_value("defaults.temperature", None).defaults.temperature is None


def test_with_text_parses_what_a_user_types() -> None:
    s = Settings()
    assert s.with_text("defaults.temperature", "0.7").defaults.temperature == 0.7
    assert s.with_text("defaults.max_tokens", "512").defaults.max_tokens == 512
    assert s.with_text("chat.auto_title", "off").chat.auto_title is False
    assert s.with_text("ui.close_to_tray", "yes").ui.close_to_tray is True
    assert s.with_text("defaults.stop", '["a", "b"]').defaults.stop == ("a", "b")
    assert s.with_text("defaults.stop", "END").defaults.stop == ("END",)
    changed = s.with_text("defaults.temperature", "1")
    assert changed.with_text("defaults.temperature", "none").defaults.temperature is None
    with pytest.raises(errors.InvalidValueError, match=r"defaults\.temperature"):
        s.with_text("defaults.temperature", "warm")
    with pytest.raises(errors.InvalidValueError, match=r"chat\.auto_title"):
        s.with_text("chat.auto_title", "maybe")


@pytest.mark.parametrize("path", ["defaults.colour", "nosuch.thing", "chat", "ui.theme.x", ""])
def test_unknown_setting_path_is_refused(path: str) -> None:
    with pytest.raises(errors.InvalidValueError, match="no such setting"):
        Settings().with_value(path, 1)


def test_value_at_reads_the_same_paths() -> None:
    s = Settings().with_value("chat.max_retries", 5)
    assert s.value_at("chat.max_retries") == 5
    with pytest.raises(errors.InvalidValueError):
        s.value_at("chat.nope")


def test_every_spec_documents_itself_and_its_default_is_valid() -> None:
    specs = list(setting_specs())
    paths = [s.path for s in specs]
    assert "defaults.temperature" in paths
    assert "ui.hotkey" in paths
    assert "providers.profiles" not in paths  # records, edited apart
    for spec in specs:
        assert spec.info.help.strip(), spec.path
        assert spec.check(spec.default) == spec.default
    assert spec_for("ui.theme").choices == ("system", "light", "dark")
    assert spec_for("defaults.temperature").allowed.startswith("a number from 0 to 2")


def test_every_optional_field_defaults_to_none() -> None:
    # TOML has no null: None is written by leaving the key out, which only round-trips when
    # None is also the default.
    for spec in setting_specs():
        if spec.type.optional:
            assert spec.default is None, spec.path
    for f in dataclasses.fields(ProviderProfile):
        if f.name != "name" and f.default is not dataclasses.MISSING:
            assert f.default is None or f.name == "kind", f.name


# -- provider profiles -------------------------------------------------------------------------


def _azure(**kw: Any) -> ProviderProfile:
    args: dict[str, Any] = {
        "name": "work",
        "kind": "azure",
        "base_url": "https://res.openai.azure.com",
        "api_version": "2024-10-21",
        "deployment": "gpt4o",
    }
    return ProviderProfile(**(args | kw))


def test_profiles_are_validated() -> None:
    with pytest.raises(errors.InvalidValueError, match="api_version"):
        _azure(api_version=None)
    with pytest.raises(errors.InvalidValueError, match="base_url"):
        ProviderProfile("proxy", kind="custom")
    with pytest.raises(errors.InvalidValueError, match="not an http"):
        ProviderProfile("x", base_url="ftp://example.com/v1")
    with pytest.raises(errors.InvalidValueError, match="kind"):
        ProviderProfile("x", kind="anthropic")  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidValueError, match="name"):
        ProviderProfile(" padded ")


def test_a_key_in_extra_headers_is_refused_without_echoing_it() -> None:
    secret = "Bearer sk-live-SHOULD-NOT-ECHO"
    with pytest.raises(errors.InvalidValueError) as info:
        ProviderProfile("x", extra_headers={"Authorization": secret})
    assert "keyring" in str(info.value)
    assert secret not in str(info.value)
    assert secret not in " ".join(info.value.lines())
    ok = ProviderProfile("x", extra_headers={"HTTP-Referer": "https://kibitz.example"})
    assert dict(ok.extra_headers) == {"HTTP-Referer": "https://kibitz.example"}


def test_profile_names_are_unique_and_active_must_exist() -> None:
    with pytest.raises(errors.InvalidValueError, match="unique"):
        ProvidersSettings((ProviderProfile("a"), ProviderProfile("a", kind="ollama")))
    with pytest.raises(errors.InvalidValueError, match=r"providers\.active"):
        ProvidersSettings((ProviderProfile("a"),), active="b")


def test_with_profile_adds_replaces_and_removes() -> None:
    s = Settings().with_profile(ProviderProfile("a")).with_profile(_azure())
    s = s.with_value("providers.active", "work")
    s = s.with_profile(ProviderProfile("a", kind="ollama"))
    assert [p.name for p in s.providers.profiles] == ["a", "work"]
    assert s.providers.profiles[0].kind == "ollama"
    s = s.without_profile("work")
    assert [p.name for p in s.providers.profiles] == ["a"]
    assert s.providers.active is None


# -- the file ----------------------------------------------------------------------------------


def _rich_settings() -> Settings:
    with_prompt = with_default(
        with_preset(Settings(), Preset("French", "Be brief.\nAnswer in \u00e9l\u00e9gant French.")),
        "French",
    )
    return (
        with_prompt.with_value("defaults.temperature", 0.3)
        .with_value("defaults.stop", ["END"])
        .with_value("defaults.seed", -42)
        .with_value("chat.max_retries", 5)
        .with_value("ui.theme", "dark")
        .with_profile(_azure(extra_headers={"X-Team": "ml"}))
        .with_profile(ProviderProfile("local", kind="ollama"))
        .with_value("providers.active", "local")
    )


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    result = load_settings(tmp_path / "nope" / "settings.toml")
    assert result.settings == Settings()
    assert result.warnings == ()
    assert result.error is None
    assert result.file_version is None


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "config" / "settings.toml"
    s = _rich_settings()
    save_settings(path, s)
    result = load_settings(path)
    assert result.error is None
    assert result.warnings == ()
    assert result.settings == s
    assert result.file_version == SCHEMA_VERSION
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["settings.toml"]  # no temp file left


def test_only_changed_values_are_written(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_settings(path, Settings().with_value("chat.max_retries", 5))
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data == {"schema_version": SCHEMA_VERSION, "chat": {"max_retries": 5}}
    first = next(line for line in text.splitlines() if not line.startswith("#"))
    assert first == f"schema_version = {SCHEMA_VERSION}"


def test_saving_replaces_the_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_settings(path, Settings().with_value("ui.theme", "light"))
    inode = path.stat().st_ino
    save_settings(path, Settings().with_value("ui.theme", "dark"))
    assert path.stat().st_ino != inode  # a new file renamed over the old, never rewritten
    assert load_settings(path).settings.ui.theme == "dark"


def test_a_failed_save_raises_a_settings_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(errors.SettingsFileError, match="could not be saved"):
        save_settings(blocker / "settings.toml", Settings())


def test_bad_single_values_fall_back_to_defaults_with_warnings(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        'schema_version = 1\n[defaults]\ntemperature = 7\nmodel = "gpt-4.1"\n'
        '[chat]\nmax_retries = "many"\nstall_timeout_s = 30\nshiny = true\n'
        '[ui]\ntheme = "neon"\n[gizmos]\nx = 1\n',
        encoding="utf-8",
    )
    result = load_settings(path)
    assert result.error is None
    s = result.settings
    assert s.defaults.temperature is None
    assert s.defaults.model == "gpt-4.1"
    assert s.chat.max_retries == 3
    assert s.chat.stall_timeout_s == 30
    assert s.ui.theme == "system"
    text = "\n".join(result.warnings)
    for expected in (
        "defaults.temperature",
        "chat.max_retries",
        "ui.theme",
        "chat.shiny",
        "gizmos",
    ):
        assert expected in text
    assert len(result.warnings) == 5
    assert path.exists()  # a file with bad values is not moved aside


def test_bad_profiles_are_skipped_with_warnings(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        'schema_version = 1\n[providers]\nactive = "az"\n'
        '[[providers.profiles]]\nname = "az"\nkind = "azure"\nbase_url = "https://a.example"\n'
        '[[providers.profiles]]\nkind = "ollama"\n'
        '[[providers.profiles]]\nname = "ok"\nkind = "ollama"\ntemperature = 1\n'
        '[[providers.profiles]]\nname = "ok"\nkind = "vllm"\n',
        encoding="utf-8",
    )
    result = load_settings(path)
    assert [p.name for p in result.settings.providers.profiles] == ["ok"]
    assert result.settings.providers.profiles[0].kind == "ollama"
    assert result.settings.providers.active is None
    text = "\n".join(result.warnings)
    assert "api_version" in text
    assert "no name" in text
    assert "comes earlier" in text
    assert "providers.active" in text
    assert "temperature" in text


@pytest.mark.parametrize(
    "content",
    [
        b"this is [not toml",
        b"\xff\xfe\x00garbage",
        b"schema_version = 1\ndefaults = 5\n",
        b'schema_version = 1\n[providers]\nprofiles = "x"\n',
        b"schema_version = 1\n[providers]\nprofiles = [1, 2]\n",
        b'schema_version = "two"\n',
        b"schema_version = 0\n",
    ],
)
def test_corrupt_file_is_moved_aside_and_defaults_used(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "settings.toml"
    path.write_bytes(content)
    result = load_settings(path)
    assert result.settings == Settings()
    err = result.error
    assert isinstance(err, errors.SettingsFileError)
    assert err.backup is not None
    assert err.backup.name.startswith("settings.toml.corrupt-")
    assert err.backup.read_bytes() == content
    assert not path.exists()
    assert str(err.backup) in err.hint
    # A second corrupt file in the same second gets its own backup name.
    path.write_bytes(content)
    second = load_settings(path).error
    assert second is not None
    assert second.backup is not None
    assert second.backup != err.backup
    assert second.backup.read_bytes() == content


def test_unreadable_file_reports_without_moving(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.mkdir()  # reading a directory fails with an OSError
    result = load_settings(path)
    assert result.settings == Settings()
    assert isinstance(result.error, errors.SettingsFileError)
    assert result.error.backup is None
    assert path.is_dir()


def test_file_from_a_newer_version_is_read_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    original = (
        b"schema_version = 99\n[defaults]\ntemperature = 0.5\nquantum = true\n"
        b"[ui]\ntheme = 'dark'\n[holo]\ndepth = 3\n"
    )
    path.write_bytes(original)
    result = load_settings(path)
    assert result.error is None
    assert result.file_version == 99
    assert result.from_newer_version
    assert result.settings.defaults.temperature == 0.5
    assert result.settings.ui.theme == "dark"
    assert any("newer" in w for w in result.warnings)
    assert path.read_bytes() == original  # untouched by loading

    save_settings(path, result.settings.with_value("ui.theme", "light"))
    assert (tmp_path / "settings.toml.v99").read_bytes() == original
    assert tomllib.loads(path.read_text(encoding="utf-8"))["schema_version"] == SCHEMA_VERSION
    save_settings(path, result.settings)  # the first copy of the newer file is not overwritten
    assert (tmp_path / "settings.toml.v99").read_bytes() == original


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # An example step: v1 kept the stall timeout under [network] as "stall".
    network = data.pop("network", {})
    if "stall" in network:
        data.setdefault("chat", {})["stall_timeout_s"] = network["stall"]
    return data


def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    ui = data.get("ui", {})
    if ui.get("theme") == "auto":
        ui["theme"] = "system"
    return data


def test_migrations_run_in_order_from_the_files_version() -> None:
    steps = (_v1_to_v2, _v2_to_v3)
    found, data, warnings = migrate(
        {"schema_version": 1, "network": {"stall": 90}, "ui": {"theme": "auto"}},
        migrations=steps,
        version=3,
    )
    assert (found, warnings) == (1, [])
    assert data == {"chat": {"stall_timeout_s": 90}, "ui": {"theme": "system"}}
    found, data, _ = migrate(
        {"schema_version": 2, "network": {"stall": 90}, "ui": {"theme": "auto"}},
        migrations=steps,
        version=3,
    )
    assert found == 2
    assert data == {"network": {"stall": 90}, "ui": {"theme": "system"}}  # only v2 -> v3 ran


def test_loading_an_older_file_migrates_it(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("schema_version = 1\n[network]\nstall = 90\n", encoding="utf-8")
    result = load_settings(path, migrations=(_v1_to_v2,), version=2)
    assert result.error is None
    assert result.warnings == ()
    assert result.file_version == 1
    assert result.settings.chat.stall_timeout_s == 90


def test_file_without_a_version_counts_as_version_1(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[ui]\ntheme = 'light'\n", encoding="utf-8")
    result = load_settings(path)
    assert result.file_version == 1
    assert result.settings.ui.theme == "light"


# -- the provider in effect --------------------------------------------------------------------


def test_without_profiles_the_environment_decides_like_the_sdk() -> None:
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1", "OPENAI_ORG_ID": "org-1"}
    choice = effective_provider(Settings(), env)
    assert choice.name == "default"
    assert choice.base_url == "http://127.0.0.1:8080/v1"
    assert choice.organization == "org-1"
    assert choice.key_source is KeySource.ENVIRONMENT
    assert choice.key_order == (KeySource.ENVIRONMENT, KeySource.KEYRING)
    assert not choice.from_profile
    assert effective_provider(Settings(), {}).base_url == OPENAI_BASE_URL
    assert effective_provider(Settings(), {"OPENAI_BASE_URL": " "}).base_url == OPENAI_BASE_URL


def test_active_profile_wins_else_the_first() -> None:
    s = _rich_settings()
    assert effective_provider(s, {"OPENAI_BASE_URL": "http://elsewhere/v1"}).name == "local"
    chosen = effective_provider(s, {}, name="work")
    assert chosen.kind == "azure"
    assert chosen.base_url == "https://res.openai.azure.com"
    assert chosen.api_version == "2024-10-21"
    assert chosen.deployment == "gpt4o"
    assert dict(chosen.extra_headers) == {"X-Team": "ml"}
    assert chosen.key_order == (KeySource.KEYRING,)
    first = effective_provider(s.with_value("providers.active", None), {})
    assert first.name == "work"
    with pytest.raises(errors.ConfigError, match="no provider profile named 'nope'"):
        effective_provider(s, {}, name="nope")
    assert effective_provider(s, {}, name="default").name == "default"


def test_profiles_get_their_kinds_default_url_and_key_order() -> None:
    s = (
        Settings()
        .with_profile(ProviderProfile("o"))
        .with_profile(ProviderProfile("r", kind="openrouter"))
        .with_profile(ProviderProfile("l", kind="llamacpp"))
    )
    openai = effective_provider(s, {}, name="o")
    assert openai.base_url == OPENAI_BASE_URL
    assert openai.key_order == (KeySource.KEYRING, KeySource.ENVIRONMENT)
    router = effective_provider(s, {}, name="r")
    assert router.base_url == "https://openrouter.ai/api/v1"
    assert router.key_order == (KeySource.KEYRING,)  # an OpenAI key never goes to another host
    local = effective_provider(s, {}, name="l")
    assert local.base_url == "http://localhost:8080/v1"
    assert not local.needs_key
    assert local.key_order == (KeySource.KEYRING, KeySource.NOT_NEEDED)


def test_settings_file_never_holds_a_key_field() -> None:
    names = {spec.path.rsplit(".", 1)[-1] for spec in setting_specs()}
    names |= {f.name for f in dataclasses.fields(ProviderProfile)}
    assert not {n for n in names if "key" in n} - {"send_key", "hotkey"}
