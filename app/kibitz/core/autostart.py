"""Start at login: the XDG autostart entry on Linux (write, remove, read), and the command
that starts this Kibitz, for that entry and for binding `--quick-ask` to a desktop shortcut.

The entry is a desktop file in $XDG_CONFIG_HOME/autostart (freedesktop Desktop Application
Autostart spec); its Exec line is quoted by the Desktop Entry spec's rules, so a path with
spaces or quotes survives. Other platforms have no entry here yet: `supported()` says so.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from kibitz import APP_ID, APP_NAME

ENTRY_NAME = f"{APP_ID}.desktop"
START_HIDDEN_FLAG = "--tray"
# Desktop Entry spec, "The Exec key": an argument holding any of these must be quoted, and
# inside the quotes these four are escaped with a backslash.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
_ESCAPED_IN_QUOTES = '"`$\\'


def supported() -> bool:
    return sys.platform.startswith("linux") or "bsd" in sys.platform


def entry_path(config_home: Path | None = None) -> Path:
    """$XDG_CONFIG_HOME/autostart/kibitz.desktop (~/.config when unset or not absolute)."""
    if config_home is None:
        chosen = os.environ.get("XDG_CONFIG_HOME", "")
        config_home = Path(chosen) if os.path.isabs(chosen) else Path.home() / ".config"
    return config_home / "autostart" / ENTRY_NAME


def app_command(basedir: str | os.PathLike[str] | None = None) -> list[str]:
    """How to start this Kibitz again: the frozen executable, the `kibitz` script we were
    started as, or this Python with `-m kibitz`; with `--basedir` when one is in use."""
    if getattr(sys, "frozen", False):
        command = [sys.executable]
    else:
        script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
        if script is not None and script.name == APP_ID and script.is_file():
            command = [str(script.resolve())]
        else:
            command = [sys.executable, "-m", APP_ID]
    if basedir is not None:
        command += ["--basedir", str(Path(basedir).expanduser().resolve())]
    return command


def shell_command(argv: Sequence[str]) -> str:
    """For people to read and paste (the settings page): POSIX shell quoting."""
    return shlex.join(argv)


def exec_quote(argument: str) -> str:
    """One argument of an Exec key, quoted when the spec asks for it."""
    if "%" in argument:
        argument = argument.replace("%", "%%")  # a lone % would be a field code
    if argument and not (_RESERVED & set(argument)):
        return argument
    inner = "".join("\\" + c if c in _ESCAPED_IN_QUOTES else c for c in argument)
    return f'"{inner}"'


def exec_line(argv: Sequence[str]) -> str:
    """The Exec value: quoted arguments, then the string escaping every key's value gets
    (a backslash is written as two, so the quoting's escapes survive the file parser)."""
    quoted = " ".join(exec_quote(a) for a in argv)
    return quoted.replace("\\", "\\\\")


def entry_text(argv: Sequence[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_NAME}\n"
        "Comment=Start Kibitz in the tray when you log in\n"
        f"Exec={exec_line([*argv, START_HIDDEN_FLAG])}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def enable(argv: Sequence[str], path: Path | None = None) -> Path:
    """Write (or rewrite) the entry; OSError when the folder cannot be written."""
    target = path or entry_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(entry_text(argv), encoding="utf-8")
    temporary.replace(target)  # atomic: a session starting meanwhile never reads half a file
    return target


def disable(argv: Sequence[str], path: Path | None = None) -> bool:
    """Remove the entry if it starts this Kibitz (`argv`); False when there was none of ours.

    Another entry of the same name (an install elsewhere, another --basedir) is left alone.
    """
    target = path or entry_path()
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):  # none there, or not a text file of ours
        return False
    if f"Exec={exec_line([*argv, START_HIDDEN_FLAG])}\n" not in text:
        return False
    target.unlink(missing_ok=True)
    return True


def enabled(path: Path | None = None) -> bool:
    return (path or entry_path()).is_file()
