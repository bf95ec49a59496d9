"""Start at login: the XDG autostart entry (quoting by the Desktop Entry spec, write, remove
only our own) and the command that starts this Kibitz."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kibitz.core import autostart


def unquote_exec(value: str) -> list[str]:
    """Read an Exec value back as the spec says a launcher does: first the string escapes
    (\\\\ -> \\), then the quoting: arguments split at unquoted spaces; inside double quotes
    a backslash escapes ", `, $ and \\."""
    text = value.replace("\\\\", "\\")
    args: list[str] = []
    current: list[str] | None = None
    quoted = False
    i = 0
    while i < len(text):
        c = text[i]
        if quoted and c == "\\" and text[i + 1] in '"`$\\':
            current = [*(current or []), text[i + 1]]
            i += 2
            continue
        if c == '"':
            quoted = not quoted
            current = current or []
        elif c == " " and not quoted:
            if current is not None:
                args.append("".join(current))
            current = None
        else:
            current = [*(current or []), c]
        i += 1
    assert not quoted, f"unbalanced quotes in {value!r}"
    if current is not None:
        args.append("".join(current))
    return [a.replace("%%", "%") for a in args]


@pytest.mark.parametrize(
    "argv",
    [
        ["/usr/bin/kibitz"],
        ["/opt/My Apps/kibitz", "--basedir", "/home/ann/Kibitz data"],
        ["/usr/bin/python3", "-m", "kibitz", "--basedir", '/tmp/we"ird $dir `x` \\ back'],
        ["/usr/bin/kibitz", "--basedir", "/tmp/100%/data"],
    ],
)
def test_exec_line_reads_back_as_the_same_arguments(argv: list[str]) -> None:
    line = autostart.exec_line(argv)
    assert unquote_exec(line) == argv
    assert "%" not in line.replace("%%", "")  # no stray field code


def test_simple_arguments_stay_unquoted() -> None:
    assert autostart.exec_line(["/usr/bin/kibitz", "--tray"]) == "/usr/bin/kibitz --tray"
    assert autostart.exec_quote("/a b") == '"/a b"'


def test_enable_writes_an_entry_that_starts_in_the_tray(tmp_path: Path) -> None:
    path = tmp_path / "autostart" / "kibitz.desktop"
    argv = ["/opt/kibitz/kibitz", "--basedir", "/data/k"]
    assert autostart.enable(argv, path) == path
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "[Desktop Entry]"
    assert "Type=Application" in lines
    assert "Name=Kibitz" in lines
    (exec_value,) = [line.removeprefix("Exec=") for line in lines if line.startswith("Exec=")]
    assert unquote_exec(exec_value) == [*argv, "--tray"]
    assert autostart.enabled(path)
    assert not list(path.parent.glob("*.tmp"))  # written through a temporary, then renamed


def test_disable_removes_only_our_own_entry(tmp_path: Path) -> None:
    path = tmp_path / "kibitz.desktop"
    ours = ["/usr/bin/kibitz", "--basedir", "/tmp/one"]
    autostart.enable(ours, path)
    # Another Kibitz (another data folder) asks to disable: the entry is not its to remove.
    assert not autostart.disable(["/usr/bin/kibitz", "--basedir", "/tmp/two"], path)
    assert path.exists()
    assert autostart.disable(ours, path)
    assert not path.exists()
    assert not autostart.disable(ours, path)  # nothing left to remove


def test_entry_path_follows_xdg_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert autostart.entry_path() == tmp_path / "autostart" / "kibitz.desktop"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")  # the spec: absolute only
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert autostart.entry_path() == tmp_path / "home" / ".config" / "autostart" / ENTRY


ENTRY = autostart.ENTRY_NAME


def test_app_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "bin" / "kibitz"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    monkeypatch.setattr(sys, "argv", [str(script)])
    assert autostart.app_command() == [str(script.resolve())]
    monkeypatch.setattr(sys, "argv", ["/somewhere/__main__.py"])
    assert autostart.app_command() == [sys.executable, "-m", "kibitz"]
    with_basedir = autostart.app_command(tmp_path / "data")
    assert with_basedir[-2:] == ["--basedir", str((tmp_path / "data").resolve())]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert autostart.app_command()[0] == sys.executable
    assert autostart.shell_command(["/a b/kibitz", "--quick-ask"]) == "'/a b/kibitz' --quick-ask"
