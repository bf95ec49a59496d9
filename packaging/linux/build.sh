#!/usr/bin/env bash
# build.sh [--dist DIR] [--work DIR]: build the Linux release of Kibitz.
#   1. PyInstaller builds the one-folder bundle from build.spec   -> DIST/kibitz/
#   2. the desktop entry and AppStream file are validated (desktop-file-validate, appstreamcli)
#   3. the archive is laid out (stage.sh) and packed               -> DIST/kibitz-VERSION-linux-ARCH.tar.gz
# DIST defaults to dist/ and WORK (PyInstaller's scratch folder) to build/ in the checkout; both
# are git-ignored. Needs .venv with the test extras (bash tests/run.sh sets it up, or
# .venv/bin/pip install -e '.[test]'). About 30-60 s on two cores.
# The environment knobs of build.spec (KIBITZ_BUILD_GTK=1, ...) pass through.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dist="$repo/dist"
work="$repo/build"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --dist) dist="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$dist" "$work"
dist="$(cd "$dist" && pwd)"
work="$(cd "$work" && pwd)"
py="${KIBITZ_BUILD_PYTHON:-$repo/.venv/bin/python}"
say() { printf '[build] %s\n' "$*" >&2; }

for tool in desktop-file-validate appstreamcli; do
  command -v "$tool" >/dev/null || {
    say "$tool is missing (Debian: apt-get install desktop-file-utils appstream)"
    exit 1
  }
done
say "validating the desktop entry and the AppStream metadata"
desktop-file-validate "$here/kibitz.desktop"
appstreamcli validate --no-net --no-color "$here/io.github.kibitz.Kibitz.metainfo.xml" >&2
# The PNGs are committed; the build only ships them. A check that finds them drifted from the
# SVG (or cannot run) is worth a warning, never a refused build: the test suite is the gate.
icons_rc=0
"$py" "$here/render_icons.py" --check >&2 || icons_rc=$?
if [ "$icons_rc" -ne 0 ]; then
  say "warning: the icon PNGs differ from resources/icons/kibitz.svg (render_icons.py --check" \
    "exit $icons_rc); building with the committed PNGs"
fi

version="$("$py" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' "$repo/pyproject.toml")"
arch="$(uname -m)"
name="kibitz-$version-linux-$arch"

say "PyInstaller: $repo/build.spec -> $dist/kibitz"
# --clean empties PyInstaller's cache folder: a private one, so that builds running at the same
# time (two test runs on one machine) cannot empty each other's.
export PYINSTALLER_CONFIG_DIR="$work/pyinstaller-cache"
start=$SECONDS
rm -rf "$dist/kibitz"
"$py" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$dist" --workpath "$work" "$repo/build.spec"
say "built in $((SECONDS - start)) s; bundle $(du -sm "$dist/kibitz" | cut -f1) MB"

say "packing $dist/$name.tar.gz"
rm -rf "${dist:?}/$name" "$dist/$name.tar.gz"
bash "$here/stage.sh" "$dist/kibitz" "$dist/$name"
tar -C "$dist" -czf "$dist/$name.tar.gz" "$name"
rm -rf "${dist:?}/$name"
say "archive $(du -sm "$dist/$name.tar.gz" | cut -f1) MB: $dist/$name.tar.gz"
printf '%s\n' "$dist/$name.tar.gz"
