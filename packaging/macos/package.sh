#!/usr/bin/env bash
# package.sh OUTDIR FYNE — run by `make package-macos`, on a Mac only.
# Builds "Codex Tray.app" with `fyne package -os darwin` (Xcode's command-line
# tools give it the C compiler), puts our Info.plist over the one fyne writes
# (fyne cannot set LSUIElement, which hides the Dock icon), signs the bundle
# ad hoc and zips it:
#   OUTDIR/codextray-VERSION-macos-ARCH.zip
# For distribution outside your own Macs, sign with a Developer ID and
# notarize instead of the ad-hoc signature (PACKAGING.md).
set -euo pipefail

die() { echo "package-macos: error: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: package.sh OUTDIR FYNE"
[ "$(uname -s)" = Darwin ] || die "this builds the macOS app and runs on a Mac only; on Linux, \`make package\` writes $1/macos/Info.plist for it"
command -v cc >/dev/null 2>&1 || die "no C compiler: run xcode-select --install"
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
fyne=$2
[ -x "$fyne" ] || die "no fyne tool at $fyne"
cd "$root"

version=$(sed -n 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' FyneApp.toml | head -n1)
build=$(sed -n 's/^[[:space:]]*Build[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' FyneApp.toml | head -n1)
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
arch=$(uname -m)

# fyne package rewrites FyneApp.toml and drops files while it builds: use a copy.
work=$root/.cache/package-macos
rm -rf "$work"
mkdir -p "$work/src"
git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar --null -T - -cf - | tar -xf - -C "$work/src"

(cd "$work/src" && GOFLAGS="-ldflags=-X=github.com/codextray/codextray/core/cli.commit=$commit" \
	"$fyne" package -os darwin --release --app-version "$version" --app-build "$build")
app="$work/src/Codex Tray.app"
[ -d "$app" ] || die "fyne package made no Codex Tray.app"

sed -e "s/@VERSION@/$version/g" -e "s/@BUILD@/$build/g" packaging/macos/Info.plist.in >"$app/Contents/Info.plist"
plutil -lint "$app/Contents/Info.plist"
[ "$(/usr/libexec/PlistBuddy -c 'Print :LSUIElement' "$app/Contents/Info.plist")" = true ] || die "LSUIElement not set"
codesign --force --deep --sign - "$app"
"$app/Contents/MacOS/codextray" version

zip="$out/codextray-$version-macos-$arch.zip"
rm -f "$zip"
ditto -c -k --keepParent "$app" "$zip"
echo "package-macos: $zip"
