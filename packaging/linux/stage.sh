#!/usr/bin/env bash
# stage.sh BUNDLE OUT: lay out the release archive's contents in OUT (which must not exist):
# the PyInstaller bundle BUNDLE as OUT/kibitz, the install and uninstall scripts, and the
# desktop entry, AppStream file and icons under OUT/share as install.sh expects them.
set -euo pipefail
if [ "$#" -ne 2 ]; then
  echo "usage: stage.sh BUNDLE_DIR OUT_DIR" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
icons="$(cd "$here/../../resources/icons" && pwd)"
bundle="$1"
out="$2"
if [ ! -x "$bundle/kibitz" ]; then
  echo "stage.sh: $bundle/kibitz is not an executable: build first" >&2
  exit 1
fi
if [ -e "$out" ]; then
  echo "stage.sh: $out exists" >&2
  exit 1
fi
mkdir -p "$out/share/applications" "$out/share/metainfo" "$out/share/icons/hicolor/scalable/apps"
cp -a "$bundle" "$out/kibitz"
install -m 755 "$here/install.sh" "$here/uninstall.sh" "$out/"
install -m 644 "$here/kibitz.desktop" "$out/share/applications/"
install -m 644 "$here/io.github.kibitz.Kibitz.metainfo.xml" "$out/share/metainfo/"
cp -a "$icons/hicolor/." "$out/share/icons/hicolor/"
install -m 644 "$icons/kibitz.svg" "$out/share/icons/hicolor/scalable/apps/kibitz.svg"
cat >"$out/README.txt" <<'TEXT'
Kibitz for Linux (x86-64, glibc 2.36 or newer)

Install for yourself (no root needed):   ./install.sh
Then start Kibitz from the applications menu, or run `kibitz` (~/.local/bin).
Check the installation:                  kibitz --smoke-test
Uninstall:                               ~/.local/lib/kibitz/uninstall.sh

Or run it without installing:            ./kibitz/kibitz
TEXT
