#!/usr/bin/env bash
# test-session.sh CMD...
# Runs CMD inside a throwaway desktop session made of real parts:
#   - a private D-Bus session bus (dbus-run-session),
#   - gnome-keyring-daemon as the Secret Service, unlocked, with its keyring in
#     a temporary HOME so the user's own keyring is never touched
#     (CODEXTRAY_TEST_SECRET_SERVICE=1 is exported when it is up),
#   - Xvfb on a free display (DISPLAY is exported).
# Go keeps using the real build and module caches. Everything started here is
# stopped by PID when CMD ends; the exit status is CMD's.
set -euo pipefail

die() { echo "test-session.sh: error: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: test-session.sh CMD..."

# Step 1: get a private session bus; dbus-run-session stops it when we exit.
if [ -z "${CODEXTRAY_TEST_SESSION_BUS:-}" ]; then
	command -v dbus-run-session >/dev/null 2>&1 || die "dbus-run-session not found (Debian: apt-get install dbus)"
	export CODEXTRAY_TEST_SESSION_BUS=1
	exec dbus-run-session -- "$0" "$@"
fi
unset CODEXTRAY_TEST_SESSION_BUS

# Keep Go's caches and settings where they are before HOME moves.
if command -v go >/dev/null 2>&1; then
	GOCACHE=$(go env GOCACHE) GOMODCACHE=$(go env GOMODCACHE) GOPATH=$(go env GOPATH) GOENV=$(go env GOENV)
	export GOCACHE GOMODCACHE GOPATH GOENV
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/codextray-session.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp" 2>/dev/null || rm -rf "$tmp" || true # a bus-activated helper may still be writing
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share" \
	XDG_CACHE_HOME="$tmp/home/.cache" XDG_RUNTIME_DIR="$tmp/run"
# GTK programs (the tray host) would otherwise start an accessibility bus.
export NO_AT_BRIDGE=1
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

# wait_for SECONDS CMD...: polls CMD until it succeeds or the deadline passes.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
}

secrets_owned() {
	gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
		--method org.freedesktop.DBus.NameHasOwner org.freedesktop.secrets | grep -q true
}

login_unlocked() {
	gdbus call --session --dest org.freedesktop.secrets \
		--object-path /org/freedesktop/secrets/aliases/default \
		--method org.freedesktop.DBus.Properties.Get org.freedesktop.Secret.Collection Locked |
		grep -q false
}

# Secret Service: a fresh "login" keyring, created and unlocked with a
# throwaway password read from stdin.
unset CODEXTRAY_TEST_SECRET_SERVICE
if command -v gnome-keyring-daemon >/dev/null 2>&1; then
	printf 'pw' | gnome-keyring-daemon --foreground --unlock --components=secrets >"$tmp/keyring.env" 2>"$tmp/keyring.log" &
	pids+=($!)
	# Wait for the daemon itself to own the name; asking the Secret Service
	# directly could D-Bus-activate a second, unmanaged daemon.
	if wait_for 10 secrets_owned && login_unlocked; then
		while IFS= read -r line; do
			case "$line" in *=*) export "${line?}" ;; esac
		done <"$tmp/keyring.env"
		export CODEXTRAY_TEST_SECRET_SERVICE=1
	else
		echo "test-session.sh: warning: gnome-keyring-daemon did not come up; keychain tests will skip" >&2
		cat "$tmp/keyring.log" >&2 || true
	fi
else
	echo "test-session.sh: warning: gnome-keyring-daemon not found; keychain tests will skip" >&2
fi

# X server: Xvfb picks a free display itself and writes its number to fd 3
# once it accepts connections.
command -v Xvfb >/dev/null 2>&1 || die "Xvfb not found (Debian: apt-get install xvfb)"
unset WAYLAND_DISPLAY
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/display" 2>"$tmp/xvfb.log" &
pids+=($!)
wait_for 20 test -s "$tmp/display" || { cat "$tmp/xvfb.log" >&2; die "Xvfb did not start within 20 s"; }
DISPLAY=":$(tr -d '[:space:]' <"$tmp/display")"
export DISPLAY
if command -v xdpyinfo >/dev/null 2>&1; then
	wait_for 20 xdpyinfo || { cat "$tmp/xvfb.log" >&2; die "Xvfb on $DISPLAY does not answer"; }
fi

echo "test-session.sh: DISPLAY=$DISPLAY secret service=${CODEXTRAY_TEST_SECRET_SERVICE:-no}" >&2
set +e
"$@"
rc=$?
set -e
exit $rc
