#!/usr/bin/env bash
# build-deps.sh [run|test|package]
# Installs the Debian/Ubuntu packages that are missing for building and running
# Codex Tray (run), or also for its test suite (test), or for `make package`
# (package). Idempotent: when all are present it only asks dpkg and exits 0.
set -euo pipefail

mode=${1:-run}

# Fyne (GLFW on X11 + OpenGL) needs a C compiler and these headers.
run_pkgs=(gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
	libxinerama-dev libxi-dev libxxf86vm-dev libxkbcommon-dev)

# The tests start real parts: an X server, a session bus, a Secret Service,
# a StatusNotifier watcher and tray host, and the Codex CLI from npm; and
# the Windows .exe under Wine (64-bit only: no i386 architecture needed),
# with a shim DLL built by mingw-w64 (packaging/wine_test.go).
# (util-linux's flock and desktop-file-utils' desktop-file-validate are used by
# core/auth's and core/autostart's tests.)
test_pkgs=(xvfb x11-utils xdotool xclip imagemagick librsvg2-bin dbus dbus-x11
	gnome-keyring libsecret-tools haskell-status-notifier-item-utils
	haskell-gtk-sni-tray-utils libglib2.0-bin nodejs npm util-linux desktop-file-utils
	wine64 gcc-mingw-w64-x86-64)

# make package: the Windows cross-compiler, dpkg-deb and dpkg-shlibdeps, xz,
# and the validators its test runs on the installed files.
package_pkgs=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 dpkg-dev xz-utils
	desktop-file-utils appstream git)
# Wanted but not required: flatpak-builder checks the Flatpak manifest.
optional_pkgs=()

case "$mode" in
run) pkgs=("${run_pkgs[@]}") ;;
test) pkgs=("${run_pkgs[@]}" "${test_pkgs[@]}") ;;
package)
	pkgs=("${run_pkgs[@]}" "${package_pkgs[@]}")
	optional_pkgs=(flatpak-builder)
	;;
*)
	echo "usage: $0 [run|test|package]" >&2
	exit 2
	;;
esac

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	echo "build-deps.sh: this script installs packages on Debian/Ubuntu only." >&2
	echo "Install the equivalents of these packages with your system's package manager:" >&2
	echo "  ${pkgs[*]}" >&2
	exit 1
fi

missing=()
for p in "${pkgs[@]}"; do
	# NodeSource's nodejs bundles npm and conflicts with Debian's npm package.
	case "$p" in
	nodejs | npm) command -v "${p/nodejs/node}" >/dev/null 2>&1 && continue ;;
	esac
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done

optional_missing=()
for p in "${optional_pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || optional_missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ] && [ ${#optional_missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo=(sudo -n)
else
	[ ${#missing[@]} -eq 0 ] && exit 0 # only optional ones: go on without them
	echo "build-deps.sh: missing packages: ${missing[*]}" >&2
	echo "Install them with:" >&2
	echo "  sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
install() { "${sudo[@]}" apt-get install -y --no-install-recommends "$@"; }
updated=
if [ ${#missing[@]} -gt 0 ]; then
	echo "build-deps.sh: installing ${missing[*]}" >&2
	if ! install "${missing[@]}"; then
		# A fresh machine may have no package lists yet: update once and retry.
		"${sudo[@]}" apt-get update
		updated=1
		install "${missing[@]}"
	fi
fi
if [ ${#optional_missing[@]} -gt 0 ]; then
	echo "build-deps.sh: installing, if it can, ${optional_missing[*]}" >&2
	if ! install "${optional_missing[@]}" && [ -z "$updated" ]; then
		"${sudo[@]}" apt-get update || true
		install "${optional_missing[@]}" ||
			echo "build-deps.sh: warning: could not install ${optional_missing[*]}; going on without" >&2
	fi
fi
