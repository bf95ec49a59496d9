"""packaging/linux/install.sh and uninstall.sh on a stand-in bundle, in a throwaway home folder:
what gets installed where, the menu entry's Exec quoting, reinstalling, and that uninstalling
leaves the home folder exactly as it was (other apps' files included).

The real frozen bundle goes through the same scripts in tests/end2end/test_frozen_build.py; here
a two-line shell script stands in for it, so that these tests take a second, not a build.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kibitz.core.autostart import exec_line

REPO = Path(__file__).resolve().parents[2]
LINUX = REPO / "packaging" / "linux"
ICON_SIZES = ("16x16", "24x24", "32x32", "48x48", "64x64", "128x128", "256x256", "512x512")
METAINFO = "io.github.kibitz.Kibitz.metainfo.xml"


def _bundle(root: Path) -> Path:
    """A stand-in for the PyInstaller folder: an executable `kibitz` and an _internal/."""
    bundle = root / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "_internal" / "libfake.so").write_bytes(b"\x7fELF stand-in")
    exe = bundle / "kibitz"
    exe.write_text('#!/bin/sh\necho "stand-in kibitz $*"\n', encoding="utf-8")
    exe.chmod(0o755)
    return bundle


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """The release archive's contents, laid out by stage.sh as build.sh does."""
    out = tmp_path / "kibitz-0.0-linux-test"
    _run(["bash", str(LINUX / "stage.sh"), str(_bundle(tmp_path)), str(out)])
    return out


def _home(tmp_path: Path, name: str = "home") -> Path:
    home = tmp_path / name
    home.mkdir()
    return home


def _env(home: Path, *, xdg: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env["HOME"] = str(home)
    env["PATH"] = "/usr/bin:/bin"
    if xdg:
        env["XDG_DATA_HOME"] = str(home / "xdg-data")
        env["XDG_CONFIG_HOME"] = str(home / "xdg-config")
    return env


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, f"{args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _snapshot(root: Path) -> dict[str, str]:
    """Every path under `root` with what it is: file contents, link target, or a folder."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            found[key] = "-> " + os.readlink(path)
        elif path.is_dir():
            found[key] = "dir"
        else:
            found[key] = path.read_bytes().decode("utf-8", "replace")
    return found


def _desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.RawConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def _others(home: Path) -> None:
    """Files of other apps that live where Kibitz installs: they must survive both scripts."""
    data = home / "xdg-data"
    for rel, text in (
        ("applications/other.desktop", "[Desktop Entry]\nType=Application\nName=Other\n"),
        ("icons/hicolor/48x48/apps/other.png", "not really a png"),
        ("metainfo/org.example.Other.metainfo.xml", "<component/>"),
    ):
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / rel).write_text(text, encoding="utf-8")
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "other-tool").write_text("#!/bin/sh\n", encoding="utf-8")


def test_install_puts_every_file_in_place_and_uninstall_restores_the_home_folder(
    archive: Path, tmp_path: Path
) -> None:
    home = _home(tmp_path)
    _others(home)
    before = _snapshot(home)
    env = _env(home)

    out = _run(["bash", str(archive / "install.sh")], env).stdout
    lib = home / ".local" / "lib" / "kibitz"
    exe = lib / "kibitz"
    data = home / "xdg-data"
    assert f"Kibitz is installed in {lib}" in out
    assert (lib / "_internal" / "libfake.so").is_file()
    assert (lib / "uninstall.sh").is_file()
    launcher = home / ".local" / "bin" / "kibitz"
    assert launcher.is_symlink()
    assert os.readlink(launcher) == str(exe)
    assert _run([str(launcher), "--version"], env).stdout == "stand-in kibitz --version\n"
    for size in ICON_SIZES:
        png = data / "icons" / "hicolor" / size / "apps" / "kibitz.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
    svg = data / "icons" / "hicolor" / "scalable" / "apps" / "kibitz.svg"
    assert svg.read_text(encoding="utf-8").count("<svg") == 1
    assert (data / "metainfo" / METAINFO).is_file()
    entry = _desktop_entry(data / "applications" / "kibitz.desktop")
    assert entry["Exec"] == exec_line([str(exe)])
    assert entry["TryExec"] == str(exe)
    assert entry["Icon"] == "kibitz"

    out = _run(["bash", str(lib / "uninstall.sh")], env).stdout
    assert f"Kibitz is uninstalled from {lib}" in out
    assert str(data / "kibitz") in out  # where the conversations stay
    assert _snapshot(home) == before


def test_the_menu_entry_quotes_an_awkward_install_path(archive: Path, tmp_path: Path) -> None:
    home = _home(tmp_path, 'my home $with "quotes" and \\')
    env = _env(home)
    _run(["bash", str(archive / "install.sh")], env)
    exe = home / ".local" / "lib" / "kibitz" / "kibitz"
    desktop = home / "xdg-data" / "applications" / "kibitz.desktop"
    # The same quoting as the app's own start-at-login entry (Desktop Entry spec, Exec key).
    entry = _desktop_entry(desktop)
    assert entry["Exec"] == exec_line([str(exe)])
    assert entry["Exec"].startswith('"')
    # TryExec is a plain string: the path itself, backslashes doubled by the file format.
    assert entry["TryExec"] == str(exe).replace("\\", "\\\\")
    if shutil.which("desktop-file-validate"):
        _run(["desktop-file-validate", str(desktop)])
    _run(["bash", str(archive / "uninstall.sh")], env)
    assert _snapshot(home) == {}


def test_installing_again_replaces_the_first_installation(archive: Path, tmp_path: Path) -> None:
    home = _home(tmp_path)
    env = _env(home, xdg=False)  # the defaults: ~/.local/share
    _run(["bash", str(archive / "install.sh")], env)
    lib = home / ".local" / "lib" / "kibitz"
    (lib / "_internal" / "stale-from-the-old-version").write_text("old", encoding="utf-8")
    out = _run(["bash", str(archive / "install.sh")], env).stdout
    assert f"Replacing the Kibitz installed in {lib}" in out
    assert not (lib / "_internal" / "stale-from-the-old-version").exists()
    manifest = (lib / "install-manifest.txt").read_text(encoding="utf-8").splitlines()
    assert len(manifest) == len(set(manifest)), "the manifest lists something twice"
    assert (home / ".local" / "share" / "applications" / "kibitz.desktop").is_file()
    # The archive's own uninstall.sh finds the installation under the default prefix.
    _run(["bash", str(archive / "uninstall.sh")], env)
    assert _snapshot(home) == {}


def test_uninstall_removes_only_our_own_start_at_login_entry(archive: Path, tmp_path: Path) -> None:
    home = _home(tmp_path)
    env = _env(home)
    _run(["bash", str(archive / "install.sh")], env)
    exe = home / ".local" / "lib" / "kibitz" / "kibitz"
    autostart = home / "xdg-config" / "autostart" / "kibitz.desktop"
    autostart.parent.mkdir(parents=True)
    autostart.write_text(f"[Desktop Entry]\nExec={exec_line([str(exe), '--tray'])}\n", "utf-8")
    out = _run(["bash", str(archive / "uninstall.sh")], env).stdout
    assert "Removed the start-at-login entry" in out
    assert not autostart.exists()

    # A login entry that starts another Kibitz (a source checkout, say) is not ours to remove.
    _run(["bash", str(archive / "install.sh")], env)
    autostart.write_text("[Desktop Entry]\nExec=/opt/elsewhere/kibitz --tray\n", "utf-8")
    _run(["bash", str(archive / "uninstall.sh")], env)
    assert autostart.is_file()


def test_a_command_of_the_same_name_is_left_alone(archive: Path, tmp_path: Path) -> None:
    home = _home(tmp_path)
    env = _env(home)
    theirs = home / ".local" / "bin" / "kibitz"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("#!/bin/sh\necho theirs\n", encoding="utf-8")
    out = _run(["bash", str(archive / "install.sh")], env).stdout
    assert f"{theirs} exists and is not ours; left alone" in out
    assert theirs.read_text(encoding="utf-8") == "#!/bin/sh\necho theirs\n"
    _run(["bash", str(archive / "uninstall.sh")], env)
    assert theirs.is_file()


def test_install_refuses_a_folder_it_did_not_install(archive: Path, tmp_path: Path) -> None:
    home = _home(tmp_path)
    foreign = home / ".local" / "lib" / "kibitz"
    foreign.mkdir(parents=True)
    (foreign / "precious").write_text("keep me", encoding="utf-8")
    proc = subprocess.run(
        ["bash", str(archive / "install.sh")],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "was not installed by this script" in proc.stderr
    assert (foreign / "precious").read_text(encoding="utf-8") == "keep me"


def test_uninstall_without_an_installation_says_so(archive: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        ["bash", str(archive / "uninstall.sh")],
        env=_env(_home(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "no Kibitz installed by install.sh" in proc.stderr
