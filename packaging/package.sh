#!/usr/bin/env bash
# package.sh OUTDIR FYNE
# Builds the release packages of Codex Tray into OUTDIR with the fyne tool
# at FYNE (`make package` installs both and calls this):
#   codextray-VERSION-linux-amd64.tar.xz   fyne package -os linux, plus icons,
#                                          AppStream metainfo and a Makefile
#   codextray_VERSION_amd64.deb            dpkg-deb, installs into /usr
#   codextray-VERSION-windows-amd64.exe    fyne package -os windows with
#                                          mingw-w64: icon, manifest, version
#   codextray-VERSION-src.tar.xz           source with vendor/, for Flatpak and distros
#   io.github.codextray.codextray.yml      Flatpak manifest for that tarball
#   macos/Info.plist                       for packaging/macos/package.sh on a Mac
#   SHA256SUMS                             written last: its date tells make
#                                          the packages are complete
# fyne package rewrites FyneApp.toml (Build+1) and drops files into the
# source directory while it builds, so it works on a copy in .cache/package.
set -euo pipefail

die() { echo "package.sh: error: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: package.sh OUTDIR FYNE"
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
fyne=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
work=$root/.cache/package
appid=io.github.codextray.codextray
[ -x "$fyne" ] || die "no fyne tool at $2"

cd "$root"
toml_value() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"\{0,1\}\([^\"]*\)\"\{0,1\}[[:space:]]*$/\1/p" FyneApp.toml | head -n1; }
version=$(toml_value Version)
build=$(toml_value Build)
[ -n "$version" ] && [ -n "$build" ] || die "FyneApp.toml has no Version or Build"
# The commit as `codextray version` shows it without a stamp (core/cli).
# CODEXTRAY_COMMIT names it where there is no git (a source tarball).
commit=${CODEXTRAY_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
if [ -z "${CODEXTRAY_COMMIT:-}" ] && [ "$commit" != unknown ] && [ -n "$(git status --porcelain 2>/dev/null)" ]; then
	commit=$commit-dirty
fi
ldflags_x="-X=github.com/codextray/codextray/core/cli.commit=$commit"
# fyne package bumps Build in the copy's FyneApp.toml after each run: name
# the version and build explicitly so every package carries FyneApp.toml's.
fyne_version_flags="--app-version $version --app-build $build"
step() { echo "package.sh: $*" >&2; }
# xz on every core: the vendored source is large.
export XZ_OPT="${XZ_OPT:--T0}"
timed() { local t=$SECONDS; "$@"; step "  ($((SECONDS - t)) s)"; }

# copy_tree DIR: the work tree as git sees it (tracked and untracked, not
# ignored), without .git, so that nothing here touches the real tree.
# Outside git (an unpacked source tarball) it is everything but the caches.
copy_tree() {
	rm -rf "$1"
	mkdir -p "$1"
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
			tar --null -T - -cf - | tar -xf - -C "$1"
	else
		tar --exclude=./.cache --exclude=./bin --exclude=./.git -cf - . | tar -xf - -C "$1"
	fi
}

rm -rf "$work" "$out"/codextray[-_]* "$out/$appid.yml" "$out/macos" "$out/SHA256SUMS"
mkdir -p "$work" "$out"

step "version $version build $build commit $commit"
step "copying the source to $work/src and $work/src-windows"
copy_tree "$work/src"
copy_tree "$work/src-windows"

# --- Linux: fyne package, then our desktop file, icons, metainfo, Makefile.
linux_pkg() {
	(cd "$work/src" && GOFLAGS="-ldflags=$ldflags_x" "$fyne" package -os linux --release $fyne_version_flags)
	local unpacked=$work/linux-fyne
	mkdir -p "$unpacked"
	tar -xJf "$work/src/Codex Tray.tar.xz" -C "$unpacked"
	local bin
	bin=$(find "$unpacked" -path '*/bin/codextray' -type f | head -n1)
	[ -n "$bin" ] || die "fyne package made no bin/codextray"
	cp "$bin" "$work/codextray"

	local name=codextray-$version-linux-amd64
	local t=$work/linux/$name usr=$work/linux/$name/usr/local
	install -Dm00755 "$bin" "$usr/bin/codextray"
	install_share "$usr/share"
	install -Dm00644 packaging/linux/Makefile "$t/Makefile"
	tar -C "$work/linux" --owner=0 --group=0 -cJf "$out/$name.tar.xz" "$name"
}

# install_share DIR: desktop file, metainfo and icons under DIR (a share/).
install_share() {
	install -Dm00644 "packaging/linux/$appid.desktop" "$1/applications/$appid.desktop"
	install -Dm00644 "packaging/linux/$appid.metainfo.xml" "$1/metainfo/$appid.metainfo.xml"
	install -Dm00644 assets/src/icon.svg "$1/icons/hicolor/scalable/apps/$appid.svg"
	for s in 16 32 64 128 256; do
		install -Dm00644 "assets/icons/icon-$s.png" "$1/icons/hicolor/${s}x$s/apps/$appid.png"
	done
	install -Dm00644 assets/icon.png "$1/icons/hicolor/512x512/apps/$appid.png"
}

# --- Debian: the same binary into /usr, with the shared libraries it links.
deb_pkg() {
	local root=$work/deb
	install -Dm00755 "$work/codextray" "$root/usr/bin/codextray"
	install_share "$root/usr/share"
	install -Dm00644 README.md "$root/usr/share/doc/codextray/README.md"

	local shlibs
	mkdir -p "$work/shlibs/debian"
	printf 'Source: codextray\n\nPackage: codextray\nArchitecture: any\n' >"$work/shlibs/debian/control"
	shlibs=$(cd "$work/shlibs" && dpkg-shlibdeps -O "$root/usr/bin/codextray" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
	if [ -z "$shlibs" ]; then # dpkg-shlibdeps failed: what the binary links on Debian 12
		shlibs="libc6 (>= 2.34), libgl1, libx11-6"
	fi
	# GLFW dlopen()s these X11 extension libraries, so dpkg-shlibdeps cannot see them.
	shlibs="$shlibs, libxcursor1, libxext6, libxi6, libxinerama1, libxrandr2, libxrender1, libxxf86vm1"
	mkdir -p "$root/DEBIAN"
	cat >"$root/DEBIAN/control" <<-CONTROL
		Package: codextray
		Version: $version
		Architecture: amd64
		Maintainer: The Codex Tray developers <codextray@users.noreply.github.com>
		Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
		Depends: $shlibs
		Recommends: default-dbus-session-bus | dbus-session-bus, gnome-keyring | keepassxc
		Suggests: gnome-shell-extension-appindicator
		Section: devel
		Priority: optional
		Homepage: https://github.com/codextray/codextray
		Description: tray app for the OpenAI Codex CLI's ChatGPT login
		 Codex Tray shows in the system tray who is signed in to the Codex CLI,
		 on which plan and when the login expires. It mirrors the tokens into
		 the Secret Service, lists the subscription's models and usage, and
		 reminds you to sign in again before the login lapses, without ever
		 breaking the Codex CLI's own login.
		 .
		 The tray needs a StatusNotifierItem host (KDE, XFCE, most panels;
		 GNOME with the AppIndicator extension).
	CONTROL
	dpkg-deb --root-owner-group -Zxz --build "$root" "$out/codextray_${version}_amd64.deb" >/dev/null
}

# --- Windows: fyne package cross-compiles with mingw-w64 and embeds the
# icon, our manifest and a version resource. An existing --executable skips
# its first build, so the one build it does keeps our -ldflags. It has a copy
# of its own (fyne drops fyne.syso there) and runs beside the Linux build: a
# cold build of each is mostly one single-threaded gcc run on go-gl.
windows_pkg() {
	local v4 src=$work/src-windows
	v4=$(echo "$version" | awk -F. -v b="$build" '{printf "%d.%d.%d.%d", $1, $2, $3, b}')
	sed "s/@VERSION4@/$v4/" packaging/windows/codextray.exe.manifest.in >"$src/codextray.exe.manifest"
	: >"$src/codextray.exe"
	(cd "$src" && CC=x86_64-w64-mingw32-gcc CXX=x86_64-w64-mingw32-g++ GOARCH=amd64 \
		GOFLAGS="-ldflags=$ldflags_x" "$fyne" package -os windows --release $fyne_version_flags --executable codextray.exe)
	[ -s "$src/Codex Tray.exe" ] || die "fyne package made no Codex Tray.exe"
	cp "$src/Codex Tray.exe" "$out/codextray-$version-windows-amd64.exe"
}

# --- Source with vendor/ (Flatpak builds offline) and the Flatpak manifest.
source_pkg() {
	local name=codextray-$version
	copy_tree "$work/source/$name"
	(cd "$work/source/$name" && go mod vendor)
	tar -C "$work/source" --owner=0 --group=0 -cJf "$out/$name-src.tar.xz" "$name"
	sed -e "s/@VERSION@/$version/g" -e "s/@COMMIT@/$commit/g" \
		"packaging/flatpak/$appid.yml.in" >"$out/$appid.yml"
}

macos_files() {
	mkdir -p "$out/macos"
	sed -e "s/@VERSION@/$version/g" -e "s/@BUILD@/$build/g" packaging/macos/Info.plist.in >"$out/macos/Info.plist"
}

step "windows exe (fyne package -os windows, mingw-w64), in the background: $work/windows.log"
(timed windows_pkg) >"$work/windows.log" 2>&1 &
windows=$!
step "linux tarball (fyne package -os linux)"
timed linux_pkg
step "debian package (dpkg-deb)"
timed deb_pkg
step "waiting for the windows exe"
if ! wait "$windows"; then
	cat "$work/windows.log" >&2
	die "the windows build failed"
fi
cat "$work/windows.log" >&2
step "source tarball with vendor/ and flatpak manifest"
timed source_pkg
macos_files

# Only what this script wrote: a flatpak-builder run in $out leaves state there.
(cd "$out" && sha256sum codextray[-_]* "$appid.yml" macos/Info.plist >"$work/SHA256SUMS")
mv "$work/SHA256SUMS" "$out/SHA256SUMS"
step "done in $SECONDS s:"
ls -l "$out" >&2
