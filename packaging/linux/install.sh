#!/usr/bin/env bash
# install.sh [--prefix DIR]: install Kibitz for this user, from the unpacked release archive this
# script sits in. No root needed; nothing outside your home folder is touched.
#
#   the app           PREFIX/lib/kibitz/            (PREFIX: ~/.local unless --prefix)
#   the command       PREFIX/bin/kibitz             (a link; ~/.local/bin is on most PATHs)
#   menu entry        DATA/applications/kibitz.desktop   (DATA: $XDG_DATA_HOME or ~/.local/share;
#   icons             DATA/icons/hicolor/*/apps/kibitz.*  PREFIX/share with --prefix)
#   AppStream data    DATA/metainfo/io.github.kibitz.Kibitz.metainfo.xml
#
# Every file it writes outside PREFIX/lib/kibitz is listed in PREFIX/lib/kibitz/install-manifest.txt;
# PREFIX/lib/kibitz/uninstall.sh removes exactly those (your conversations and settings stay).
# Installing again replaces the previous installation.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="$HOME/.local"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
case "${1:-}" in
  --prefix)
    [ -n "${2:-}" ] || { echo "install.sh: --prefix needs a folder" >&2; exit 2; }
    prefix="$(mkdir -p "$2" && cd "$2" && pwd)"
    data="$prefix/share"
    ;;
  "") ;;
  -h | --help)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "install.sh: unknown argument $1 (see --help)" >&2
    exit 2
    ;;
esac

app_id=kibitz
appstream_id=io.github.kibitz.Kibitz
bundle="$here/$app_id"
lib="$prefix/lib/$app_id"
exe="$lib/$app_id"
manifest="$lib/install-manifest.txt"

if [ ! -x "$bundle/$app_id" ]; then
  echo "install.sh: no app at $bundle/$app_id; run this from the unpacked release archive" >&2
  exit 1
fi

log() { printf '%s\n' "$*"; }

# A previous installation (of this or another version) goes first, so that no stale file stays.
if [ -f "$manifest" ] && [ -f "$lib/uninstall.sh" ]; then
  log "Replacing the Kibitz installed in $lib"
  bash "$lib/uninstall.sh" --upgrade
elif [ -e "$lib" ]; then
  echo "install.sh: $lib exists but was not installed by this script; move it away first" >&2
  exit 1
fi

# Manifest lines: "d DIR" (a folder this script created, parents first), "f FILE", "l LINK".
created=()
# mkdir -p, remembering which folders did not exist before.
make_dir() {
  local dir="$1" missing=()
  while [ ! -d "$dir" ]; do
    missing=("$dir" ${missing[@]+"${missing[@]}"})
    dir="$(dirname "$dir")"
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    mkdir -p "$1"
    created+=(${missing[@]+"${missing[@]}"})
    if [ -f "$manifest" ]; then
      printf 'd %s\n' "${missing[@]}" >>"$manifest"
    fi
  fi
}

# The bundle is copied next to its final place, then renamed: an interrupted copy never
# leaves a half-installed app under the real name.
make_dir "$prefix/lib"
staging="$(mktemp -d "$prefix/lib/.$app_id-install.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
cp -a "$bundle/." "$staging/"
cp "$here/uninstall.sh" "$staging/uninstall.sh"
chmod 755 "$staging" "$staging/uninstall.sh"
mv "$staging" "$lib"
trap - EXIT
: >"$manifest"
if [ "${#created[@]}" -gt 0 ]; then
  printf 'd %s\n' "${created[@]}" >>"$manifest"
fi

# Copy one file into place and list it in the manifest.
put() {
  local source="$1" target="$2"
  make_dir "$(dirname "$target")"
  cp "$source" "$target"
  chmod 644 "$target"
  printf 'f %s\n' "$target" >>"$manifest"
}

# The Exec key's value for one path, quoted as the Desktop Entry spec asks: inside double
# quotes " ` $ \ take a backslash, and the file format then doubles every backslash.
exec_arg() {
  if [[ "$1" =~ ^[A-Za-z0-9_./+@,:=-]+$ ]]; then
    printf '%s' "$1"
  else
    printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\\\\\/g' -e 's/["`$]/\\\\&/g')"
  fi
}

make_dir "$prefix/bin"
launcher="$prefix/bin/$app_id"
if [ -e "$launcher" ] || [ -L "$launcher" ]; then
  if [ "$(readlink "$launcher" || true)" != "$exe" ]; then
    log "Note: $launcher exists and is not ours; left alone (start Kibitz as $exe)"
    launcher=""
  fi
fi
if [ -n "$launcher" ]; then
  ln -sfn "$exe" "$launcher"
  printf 'l %s\n' "$launcher" >>"$manifest"
fi

desktop="$data/applications/$app_id.desktop"
make_dir "$(dirname "$desktop")"
# sed's replacement treats & and \ specially (and | is the delimiter): escape them.
sed_value() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }
exec_value="$(sed_value "$(exec_arg "$exe")")"
# TryExec is a plain string, not a command line: no quotes, only backslashes doubled.
try_value="$(sed_value "$(printf '%s' "$exe" | sed -e 's/\\/\\\\/g')")"
sed -e "s|^Exec=kibitz\$|Exec=$exec_value|" \
  -e "s|^Exec=kibitz --quick-ask\$|Exec=$exec_value --quick-ask|" \
  -e "s|^TryExec=kibitz\$|TryExec=$try_value|" \
  "$here/share/applications/$app_id.desktop" >"$desktop"
chmod 644 "$desktop"
printf 'f %s\n' "$desktop" >>"$manifest"

put "$here/share/metainfo/$appstream_id.metainfo.xml" "$data/metainfo/$appstream_id.metainfo.xml"
for icon in "$here"/share/icons/hicolor/*/apps/"$app_id".*; do
  size_dir="$(basename "$(dirname "$(dirname "$icon")")")"
  put "$icon" "$data/icons/hicolor/$size_dir/apps/$(basename "$icon")"
done

# Refresh the desktop's caches, but only ones that exist already: a cache created here would
# be a file the uninstaller does not own.
if [ -f "$data/applications/mimeinfo.cache" ] && command -v update-desktop-database >/dev/null; then
  update-desktop-database -q "$data/applications" || true
fi
if [ -f "$data/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null; then
  gtk-update-icon-cache -q -t -f "$data/icons/hicolor" || true
fi

log "Kibitz is installed in $lib"
log "  menu entry: $desktop"
if [ -n "$launcher" ]; then
  case ":$PATH:" in
    *":$prefix/bin:"*) log "  command:    $app_id" ;;
    *) log "  command:    $launcher ($prefix/bin is not on your PATH)" ;;
  esac
fi
log "  uninstall:  $lib/uninstall.sh"
