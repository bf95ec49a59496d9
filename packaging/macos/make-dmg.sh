#!/usr/bin/env bash
# make-dmg.sh: build Kibitz.app with PyInstaller (build.spec's BUNDLE) and pack it into a
# compressed disk image, dist/kibitz-VERSION-macos-ARCH.dmg. macOS only; not run by this
# project's Linux CI (see README.md beside this file).
# Optional: KIBITZ_CODESIGN_IDENTITY="Developer ID Application: ..." signs the app first.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
py="${KIBITZ_BUILD_PYTHON:-$repo/.venv/bin/python}"
[ "$(uname -s)" = Darwin ] || { echo "make-dmg.sh: macOS only (hdiutil)" >&2; exit 1; }

version="$("$py" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' "$repo/pyproject.toml")"
"$py" -m PyInstaller --noconfirm --clean --distpath "$repo/dist" --workpath "$repo/build" \
  "$repo/build.spec"
app="$repo/dist/Kibitz.app"

if [ -n "${KIBITZ_CODESIGN_IDENTITY:-}" ]; then
  # Hardened runtime: required for notarization (xcrun notarytool submit ... --wait, then
  # xcrun stapler staple on the .dmg).
  codesign --force --deep --options runtime --timestamp \
    --sign "$KIBITZ_CODESIGN_IDENTITY" "$app"
fi

# The bundle must start and talk to its own loopback server before it is packed.
"$app/Contents/MacOS/kibitz" --smoke-test

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications" # drag the app onto it to install
dmg="$repo/dist/kibitz-$version-macos-$(uname -m).dmg"
rm -f "$dmg"
hdiutil create -volname "Kibitz $version" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$dmg"
echo "$dmg"
