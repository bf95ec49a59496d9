"""settings.toml on disk: load with migrations and per-value recovery, save atomically.

Only values that differ from the schema's defaults are written, so a default improved in a
later release reaches everyone who never changed it, and the file stays short enough to edit
by hand. `schema_version` is always written first.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import tomli_w

from kibitz.core import errors
from kibitz.core.settings.fields import InvalidSettingError, section_from
from kibitz.core.settings.schema import (
    SCHEMA_VERSION,
    SECTIONS,
    McpServer,
    OutputSchema,
    Preset,
    ProviderProfile,
    Settings,
    ToolsSettings,
)

log = logging.getLogger(__name__)

Migration = Callable[[dict[str, Any]], dict[str, Any]]

# The name the old single system prompt gets when it becomes a preset.
MIGRATED_PRESET = "Default"


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 has presets: the one `chat.system_prompt` becomes the default preset."""
    chat = data.get("chat")
    if not isinstance(chat, dict) or "system_prompt" not in chat:
        return data
    prompt = chat.pop("system_prompt")
    if not chat:
        del data["chat"]
    if isinstance(prompt, str) and prompt.strip():
        data["presets"] = {
            "items": [{"name": MIGRATED_PRESET, "text": prompt}],
            "default": MIGRATED_PRESET,
        }
    return data


# MIGRATIONS[i] turns a version i+1 file into a version i+2 one; append a step whenever a
# field is renamed, moved or changes meaning, and bump SCHEMA_VERSION with it.
MIGRATIONS: tuple[Migration, ...] = (_v1_to_v2,)

_HEADER = (
    "# Kibitz settings. Only values that differ from the defaults are listed.\n"
    "# API keys are never stored here: they live in the system keyring.\n"
)


@dataclass(frozen=True, slots=True)
class LoadResult:
    settings: Settings
    # Values that could not be used (each replaced by its default), for the user to see.
    warnings: tuple[str, ...] = ()
    # Set when the whole file was unusable; defaults are in use and `error.backup` says where
    # the old file went. The caller tells the user.
    error: errors.SettingsFileError | None = None
    file_version: int | None = None  # None when there was no file

    @property
    def from_newer_version(self) -> bool:
        return self.file_version is not None and self.file_version > SCHEMA_VERSION


class SettingsSaveError(errors.SettingsFileError):
    code = "settings_save"
    default_headline = "The settings could not be saved"


class _CorruptError(Exception):
    """The file is not a settings file we can read at all (not TOML, wrong shapes)."""


def load_settings(
    path: Path, *, migrations: Sequence[Migration] = MIGRATIONS, version: int = SCHEMA_VERSION
) -> LoadResult:
    """Read settings; never raises for a bad file (see LoadResult). A missing file is defaults.

    `migrations` and `version` are parameters so the migration machinery can be exercised
    with steps of its own; the app passes neither.
    """
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        return LoadResult(Settings())
    except OSError as exc:
        err = errors.SettingsFileError(f"{path}: {exc.strerror or exc}")
        err.hint = "Defaults are in use; check the file's permissions."
        return LoadResult(Settings(), error=err)
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
        file_version, data, warnings = migrate(data, migrations=migrations, version=version)
        settings = from_dict(data, warnings)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, _CorruptError) as exc:
        return LoadResult(Settings(), error=_move_aside(path, str(exc)))
    for w in warnings:
        log.warning("settings: %s", w)
    return LoadResult(settings, tuple(warnings), file_version=file_version)


def migrate(
    data: dict[str, Any],
    *,
    migrations: Sequence[Migration] = MIGRATIONS,
    version: int = SCHEMA_VERSION,
) -> tuple[int, dict[str, Any], list[str]]:
    """Bring a parsed file up to `version`: (the file's version, the data, warnings)."""
    found = data.pop("schema_version", 1)  # files from before versioning count as version 1
    if isinstance(found, bool) or not isinstance(found, int) or found < 1:
        raise _CorruptError(f"schema_version = {found!r} is not a version number")
    warnings: list[str] = []
    if found > version:
        warnings.append(
            f"the settings file is from a newer Kibitz (schema {found}, this one reads {version}); "
            "settings it does not know are ignored and the file is kept as it is until you "
            "change a setting (then a copy is kept next to it)"
        )
        return found, data, warnings
    for step in range(found, version):
        data = migrations[step - 1](data)
        log.info("settings migrated from schema %d to %d", step, step + 1)
    return found, data, warnings


def from_dict(data: Mapping[str, Any], warnings: list[str]) -> Settings:
    """Build Settings from a (migrated) mapping; bad values become defaults plus a warning."""
    sections: dict[str, Any] = {}
    for name, raw in data.items():
        if name not in SECTIONS:
            warnings.append(f"unknown setting {name!r} ignored")
            continue
        if not isinstance(raw, Mapping):
            raise _CorruptError(f"[{name}] should be a table, not {type(raw).__name__}")
        if name in _NAMED_LISTS:
            sections[name] = _named_list(_NAMED_LISTS[name], raw, warnings)
        elif name == "tools":
            sections[name] = _tools(raw, warnings)
        else:
            sections[name] = section_from(SECTIONS[name], name, raw, warnings)
    return Settings(**sections)


@dataclass(frozen=True, slots=True)
class _NamedList:
    """A section holding a list of named records and one name that picks a record."""

    section: str  # "providers"
    items: str  # "profiles"
    record: type[Any]  # ProviderProfile
    noun: str  # "profile"
    pick: str  # "active"
    nothing_picked: str  # "none is active"


_PROVIDERS = _NamedList("providers", "profiles", ProviderProfile, "profile", "active",
                        "none is active")  # fmt: skip
_PRESETS = _NamedList("presets", "items", Preset, "preset", "default", "none is the default")
_SCHEMAS = _NamedList("schemas", "items", OutputSchema, "schema", "", "")  # nothing picked
_NAMED_LISTS = {"providers": _PROVIDERS, "presets": _PRESETS, "schemas": _SCHEMAS}


def _named_list(spec: _NamedList, raw: Mapping[str, Any], warnings: list[str]) -> Any:
    """The section's records, each checked on its own: a bad or repeated one is skipped with
    a warning, and a pick naming no record is dropped, so one mistake loses only itself."""
    where = f"{spec.section}.{spec.items}"
    entries = raw.get(spec.items, [])
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise _CorruptError(f"{where} should be a list of [[{where}]] tables")
    records: list[Any] = []
    for i, entry in enumerate(entries):
        label = f"{where}[{i}]"
        try:
            record = section_from(spec.record, label, entry, warnings)
        except (InvalidSettingError, TypeError) as exc:  # TypeError: no name at all
            reason = str(exc) if isinstance(exc, InvalidSettingError) else "it has no name"
            warnings.append(f"{label} was skipped: {reason}")
            continue
        if any(r.name == record.name for r in records):
            warnings.append(
                f"{label} was skipped: a {spec.noun} named {record.name!r} comes earlier"
            )
            continue
        records.append(record)
    picked = raw.get(spec.pick) if spec.pick else None
    if picked is not None and not any(r.name == picked for r in records):
        warnings.append(
            f"{spec.section}.{spec.pick} = {picked!r} names no {spec.noun}; {spec.nothing_picked}"
        )
        picked = None
    extra = [k for k in raw if k not in (spec.items, spec.pick)]
    warnings.extend(f"unknown setting {spec.section}.{k} ignored" for k in extra)
    cls = SECTIONS[spec.section]
    if not spec.pick:
        return cls(tuple(records))
    try:
        return cls(tuple(records), picked)
    except InvalidSettingError as exc:  # a pick of the wrong type
        warnings.append(f"{exc}; the default is used instead")
        return cls(tuple(records))


def _tools(raw: Mapping[str, Any], warnings: list[str]) -> ToolsSettings:
    """[tools] with its [[tools.servers]]: a bad or repeated server is skipped with a warning,
    so one mistake loses only itself."""
    entries = raw.get("servers", [])
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise _CorruptError("tools.servers should be a list of [[tools.servers]] tables")
    servers: list[McpServer] = []
    for i, entry in enumerate(entries):
        label = f"tools.servers[{i}]"
        try:
            server = section_from(McpServer, label, entry, warnings)
        except (InvalidSettingError, TypeError) as exc:  # TypeError: no name at all
            reason = str(exc) if isinstance(exc, InvalidSettingError) else "it has no name"
            warnings.append(f"{label} was skipped: {reason}")
            continue
        if any(s.name == server.name for s in servers):
            warnings.append(f"{label} was skipped: a server named {server.name!r} comes earlier")
            continue
        servers.append(server)
    scalars = {k: v for k, v in raw.items() if k != "servers"}
    rest: ToolsSettings = section_from(ToolsSettings, "tools", scalars, warnings)
    return dataclasses.replace(rest, servers=tuple(servers))


def to_dict(settings: Settings) -> dict[str, Any]:
    """The TOML-ready form: schema_version, then only the values that differ from defaults."""
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    for name in SECTIONS:
        section = getattr(settings, name)
        table = _changed(section, type(section)())
        if table:
            out[name] = table
    return out


def _changed(obj: Any, default: Any | None) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value is None or (default is not None and value == getattr(default, f.name)):
            continue
        table[f.name] = _plain(value)
    return table


def _plain(value: Any) -> Any:
    if isinstance(value, ProviderProfile | Preset | McpServer | OutputSchema):
        return {k: v for k, v in _changed(value, None).items() if v not in ({}, ())}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return dict(value)
    return value


def save_settings(path: Path, settings: Settings) -> None:
    """Write atomically (temp file + os.replace), private to the user (0600).

    A file of another schema version is copied to `<name>.v<N>` first: a newer Kibitz's file
    keeps the settings this version does not know, an older one is the state before its
    migration (to go back to an older Kibitz). Raises SettingsSaveError (an
    errors.SettingsFileError) when the write fails.
    """
    text = _HEADER + tomli_w.dumps(to_dict(settings))
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _keep_other_version(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:  # mkstemp makes it 0600
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        err = SettingsSaveError(f"{path}: {exc.strerror or exc}")
        err.hint = f"Check that {path.parent} is writable and the disk is not full."
        raise err from exc


def _keep_other_version(path: Path) -> None:
    try:
        # Files from before versioning count as version 1, as in `migrate`.
        found = tomllib.loads(path.read_text(encoding="utf-8")).get("schema_version", 1)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return
    if isinstance(found, int) and not isinstance(found, bool) and found != SCHEMA_VERSION:
        keep = path.with_name(f"{path.name}.v{found}")
        if not keep.exists():
            shutil.copy2(path, keep)
            log.info("kept the schema %d settings file as %s", found, keep)


def _move_aside(path: Path, reason: str) -> errors.SettingsFileError:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while backup.exists():
        backup = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    try:
        path.rename(backup)
    except OSError as exc:
        log.error("settings file %s is unreadable and could not be moved: %s", path, exc)
        return errors.SettingsFileError(f"{path}: {reason} (and it could not be moved: {exc})")
    log.error("settings file %s is unreadable (%s); moved to %s", path, reason, backup)
    return errors.SettingsFileError(f"{path}: {reason}", backup=backup)
