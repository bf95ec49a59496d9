# shellcheck shell=bash
# setup-env.sh: the one-time setup shared by packaging/run.sh and tests/run.sh (sourced, not run).
# `kibitz_setup app|test` makes sure that the system packages Qt (and the tests) need are there,
# that .venv exists with a supported Python, and that Kibitz is installed into it; each step
# does nothing when it is already done, so a second start costs a few milliseconds.
# Debian/Ubuntu: missing packages are installed with apt-get (sudo when not root).

KIBITZ_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KIBITZ_VENV="$KIBITZ_REPO/.venv"

# The system libraries PySide6's wheels do not bundle: Qt's xcb platform plugin, plus what
# QtCore/QtGui/QtNetwork link (glib, libdbus, GSSAPI), which a minimal image lacks ("ldd" on
# the wheel's libs). "a|b": a, or b where a does not exist (Ubuntu 24.04 renamed glib "...t64").
KIBITZ_QT_PACKAGES=(libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-shape0 libxkbcommon-x11-0
  libegl1 libgl1 fontconfig "libglib2.0-0t64|libglib2.0-0" libdbus-1-3 libgssapi-krb5-2)
# Fonts for what a reply may hold beyond Latin: a minimal Debian has DejaVu alone, and Japanese,
# Chinese, Korean and emoji drew as empty boxes. Noto CJK covers the Han, kana and Hangul; Noto
# Color Emoji draws emoji in colour. fontconfig offers them to Qt as fallbacks on its own.
KIBITZ_FONT_PACKAGES=(fonts-noto-cjk fonts-noto-color-emoji)
# Commands the test run needs, as command:package, with "a|b" as above (Debian 12 splits dbus
# into dbus-daemon and dbus-bin; older releases ship one "dbus").
# The frozen build's test: PyInstaller strips and reads ELF files with binutils; the desktop
# entry and AppStream file are validated. pandoc reads the Markdown exports back. xclip pipes
# the clipboard's screenshot into `kibitz ask -a -`, as a user does.
KIBITZ_TEST_COMMANDS=(Xvfb:xvfb xdotool:xdotool xclip:xclip gnome-keyring-daemon:gnome-keyring
  "dbus-run-session:dbus-daemon|dbus" "dbus-daemon:dbus-daemon|dbus" "dbus-send:dbus-bin|dbus"
  strip:binutils objdump:binutils desktop-file-validate:desktop-file-utils appstreamcli:appstream
  pandoc:pandoc)

_kibitz_apt_updated=""

kibitz_log() { printf '[kibitz] %s\n' "$*" >&2; }

# Run a command as root: directly when we are root, else through sudo.
_kibitz_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    kibitz_log "need root to run: $*  (no sudo here; run it as root, then start again)"
    return 1
  fi
}

_kibitz_pkg_installed() {
  # One line per architecture for multi-arch packages, hence the newline and grep -x.
  dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null | grep -qx installed
}

# apt-get install the given packages; `apt-get update` runs once, before the first install.
kibitz_apt_install() {
  [ "$#" -gt 0 ] || return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    kibitz_log "no apt-get here: please install these (or your system's equivalents): $*"
    return 1
  fi
  _kibitz_apt_update
  kibitz_log "installing system packages: $*"
  _kibitz_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@" >&2
}

_kibitz_apt_update() {
  [ -z "$_kibitz_apt_updated" ] || return 0
  kibitz_log "apt-get update"
  _kibitz_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  _kibitz_apt_updated=1
}

# Print the first of "a|b|..." that apt knows of (the first one when none is known). Choosing
# needs the package lists, which a fresh image lacks: the caller runs _kibitz_apt_update first
# (not from here: this runs in a $(...) subshell, which would forget that it did).
_kibitz_pick_package() {
  local alts alt
  IFS='|' read -r -a alts <<<"$1"
  if [ "${#alts[@]}" -gt 1 ]; then
    for alt in "${alts[@]}"; do
      if apt-cache show --no-all-versions "$alt" >/dev/null 2>&1; then
        printf '%s\n' "$alt"
        return 0
      fi
    done
  fi
  printf '%s\n' "${alts[0]}"
}

# Install whichever of the given Debian packages ("a|b": either) are not installed yet.
kibitz_ensure_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    kibitz_log "not Debian/Ubuntu: skipping the system package check (needed: $*)"
    return 0
  fi
  local entry alt alts found missing=()
  for entry in "$@"; do
    IFS='|' read -r -a alts <<<"$entry"
    found=""
    for alt in "${alts[@]}"; do
      if _kibitz_pkg_installed "$alt"; then
        found=1
        break
      fi
    done
    [ -z "$found" ] || continue
    [ "${#alts[@]}" -eq 1 ] || _kibitz_apt_update
    missing+=("$(_kibitz_pick_package "$entry")")
  done
  [ "${#missing[@]}" -eq 0 ] || kibitz_apt_install "${missing[@]}"
}

# Make sure each command:package pair's command exists, installing its package when it does not.
kibitz_ensure_commands() {
  local pair cmd pkg wanted=() have_apt=""
  command -v apt-get >/dev/null 2>&1 && have_apt=1
  for pair in "$@"; do
    cmd="${pair%%:*}"
    command -v "$cmd" >/dev/null 2>&1 && continue
    if [ -z "$have_apt" ]; then
      kibitz_log "missing command $cmd and no apt-get to install it (Debian package: ${pair#*:})"
      return 1
    fi
    _kibitz_apt_update
    pkg="$(_kibitz_pick_package "${pair#*:}")"
    case " ${wanted[*]-} " in *" $pkg "*) ;; *) wanted+=("$pkg") ;; esac
  done
  [ "${#wanted[@]}" -eq 0 ] && return 0
  kibitz_apt_install "${wanted[@]}"
  for pair in "$@"; do
    cmd="${pair%%:*}"
    if ! command -v "$cmd" >/dev/null 2>&1; then
      kibitz_log "$cmd is still missing after installing ${wanted[*]}"
      return 1
    fi
  done
}

# The first interpreter that is a Python Kibitz supports (pyproject: >=3.11,<3.14).
kibitz_pick_python() {
  local c
  for c in ${KIBITZ_PYTHON:-} python3 python3.13 python3.12 python3.11; do
    command -v "$c" >/dev/null 2>&1 || continue
    if "$c" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' 2>/dev/null
    then
      command -v "$c"
      return 0
    fi
  done
  kibitz_log "Kibitz needs Python 3.11, 3.12 or 3.13 (set KIBITZ_PYTHON=/path/to/python3.X)"
  return 1
}

_kibitz_venv_usable() {
  [ -x "$KIBITZ_VENV/bin/python" ] &&
    "$KIBITZ_VENV/bin/python" -c \
      'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' 2>/dev/null
}

# Create .venv unless a usable one exists. Debian ships venv's pip wheels in a separate package
# (python3.X-venv); without it `python3 -m venv` fails ("ensurepip is not available").
kibitz_ensure_venv() {
  if _kibitz_venv_usable; then
    "$KIBITZ_VENV/bin/python" -c 'import pip' 2>/dev/null ||
      "$KIBITZ_VENV/bin/python" -m ensurepip -q >/dev/null 2>&1 ||
      kibitz_log ".venv has no pip and ensurepip failed; remove .venv and start again"
    return 0
  fi
  local py ver
  py="$(kibitz_pick_python)"
  ver="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  if [ -e "$KIBITZ_VENV" ]; then
    kibitz_log "$KIBITZ_VENV does not run a supported Python: recreating it"
    rm -rf "$KIBITZ_VENV"
  fi
  kibitz_log "creating .venv with $py (Python $ver)"
  if ! "$py" -m venv "$KIBITZ_VENV"; then
    rm -rf "$KIBITZ_VENV"
    local venv_pkg="python3-venv"
    if command -v apt-get >/dev/null 2>&1; then
      _kibitz_apt_update
      apt-cache show --no-all-versions "python$ver-venv" >/dev/null 2>&1 &&
        venv_pkg="python$ver-venv"
    fi
    kibitz_apt_install "$venv_pkg"
    "$py" -m venv "$KIBITZ_VENV"
  fi
}

# pip install -e the project (with extras "test" or none) when pyproject.toml changed since the
# last install: a stamp per extras inside .venv holds the hash of the pyproject.toml installed.
kibitz_ensure_installed() {
  local extras="${1:-}" want stamp spec
  want="$(sha256sum "$KIBITZ_REPO/pyproject.toml" | cut -d' ' -f1)"
  stamp="$KIBITZ_VENV/.kibitz-installed-${extras:-app}"
  if [ -x "$KIBITZ_VENV/bin/kibitz" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  spec="$KIBITZ_REPO${extras:+[$extras]}"
  kibitz_log "installing Kibitz into .venv: pip install -e '.${extras:+[$extras]}' (about a minute)"
  "$KIBITZ_VENV/bin/python" -m pip install --disable-pip-version-check -q -e "$spec"
  printf '%s\n' "$want" >"$stamp"
  # The test extras include everything the app needs.
  [ -z "$extras" ] || printf '%s\n' "$want" >"$KIBITZ_VENV/.kibitz-installed-app"
}

# kibitz_setup app|test: everything packaging/run.sh (app) or tests/run.sh (test) needs.
kibitz_setup() {
  case "$1" in
    app)
      kibitz_ensure_packages "${KIBITZ_QT_PACKAGES[@]}" "${KIBITZ_FONT_PACKAGES[@]}"
      kibitz_ensure_venv
      kibitz_ensure_installed ""
      ;;
    test)
      kibitz_ensure_packages "${KIBITZ_QT_PACKAGES[@]}" "${KIBITZ_FONT_PACKAGES[@]}"
      kibitz_ensure_commands "${KIBITZ_TEST_COMMANDS[@]}"
      kibitz_ensure_venv
      kibitz_ensure_installed test
      ;;
    *)
      kibitz_log "kibitz_setup: unknown mode '$1' (app or test)"
      return 2
      ;;
  esac
}
