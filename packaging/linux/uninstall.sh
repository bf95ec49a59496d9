#!/usr/bin/env bash
# uninstall.sh [--prefix DIR]: remove the Kibitz that install.sh installed for this user: the
# app folder, the `kibitz` link, the menu entry, the icons, the AppStream file, the folders
# install.sh created for them, and a start-at-login entry that starts this copy.
# Your conversations, settings and keys stay (it says where); delete them yourself if wanted.
#
# install.sh leaves a copy of this script in the app folder (~/.local/lib/kibitz/uninstall.sh),
# which removes the installation it sits in; the copy in the release archive removes the one
# under --prefix (default ~/.local). Only what install-manifest.txt lists is removed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="$HOME/.local"
upgrade=""  # install.sh replacing this installation: quiet, and the login entry stays valid
while [ "$#" -gt 0 ]; do
  case "$1" in
    --prefix)
      [ -n "${2:-}" ] || { echo "uninstall.sh: --prefix needs a folder" >&2; exit 2; }
      prefix="$2"
      shift 2
      ;;
    --upgrade)
      upgrade=1
      shift
      ;;
    -h | --help)
      sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "uninstall.sh: unknown argument $1 (see --help)" >&2
      exit 2
      ;;
  esac
done

app_id=kibitz
if [ -f "$here/install-manifest.txt" ]; then
  lib="$here"
else
  lib="$prefix/lib/$app_id"
fi
manifest="$lib/install-manifest.txt"
exe="$lib/$app_id"
log() { [ -n "$upgrade" ] || printf '%s\n' "$*"; }

if [ ! -f "$manifest" ] || [ ! -e "$exe" ]; then
  echo "uninstall.sh: no Kibitz installed by install.sh in $lib" >&2
  exit 1
fi

# Files and links first; a link only while it still points at this installation.
dirs=()
data=""
while IFS= read -r line; do
  kind="${line%% *}"
  path="${line#* }"
  case "$kind" in
    f) rm -f -- "$path" ;;
    l)
      if [ -L "$path" ] && [ "$(readlink -- "$path")" = "$exe" ]; then
        rm -f -- "$path"
      fi
      ;;
    d) dirs=("$path" ${dirs[@]+"${dirs[@]}"}) ;; # reversed: deepest first
    *) ;;
  esac
  case "$path" in
    */applications/"$app_id".desktop) data="${path%/applications/*}" ;;
  esac
done <"$manifest"


if [ -z "$upgrade" ]; then
  # Start at login (Settings) writes this entry; left behind, it would start nothing.
  autostart="${XDG_CONFIG_HOME:-$HOME/.config}/autostart/$app_id.desktop"
  if [ -f "$autostart" ] && grep -qF -- "$exe" "$autostart"; then
    rm -f -- "$autostart"
    log "Removed the start-at-login entry $autostart"
  fi
fi

rm -rf -- "$lib"
# The folders install.sh created, if nothing else has been put into them since.
for dir in ${dirs[@]+"${dirs[@]}"}; do
  rmdir -- "$dir" 2>/dev/null || true
done
if [ -n "$data" ]; then
  if [ -f "$data/applications/mimeinfo.cache" ] && command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$data/applications" || true
  fi
  if [ -f "$data/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null
  then
    gtk-update-icon-cache -q -t -f "$data/icons/hicolor" || true
  fi
fi

log "Kibitz is uninstalled from $lib"
log "Your conversations, settings and logs are kept in these folders (delete them to remove them):"
log "  ${XDG_DATA_HOME:-$HOME/.local/share}/$app_id"
log "  ${XDG_CONFIG_HOME:-$HOME/.config}/$app_id"
log "  ${XDG_STATE_HOME:-$HOME/.local/state}/$app_id"
log "  ${XDG_CACHE_HOME:-$HOME/.cache}/$app_id"
log "API keys stay in the system keyring under the service name \"$app_id\"."
