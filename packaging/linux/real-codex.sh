#!/usr/bin/env bash
# real-codex.sh DIR [VERSION]
#
# Installs the real OpenAI Codex CLI, which the tests run as a real part
# (core/cli's interop tests: login, refresh and app-server against local
# servers), into DIR and prints the absolute path of its native `codex`
# binary on stdout. `make test` calls it with DIR=.cache/codex.
#
# VERSION defaults to $REAL_CODEX_VERSION, else to the version Codex Tray is
# tested against (PINNED below). A copy already in DIR is reused only if it
# runs and reports exactly that version, so a second call costs one
# `codex --version`. Needs npm (Debian: nodejs npm, which
# `packaging/linux/build-deps.sh test` installs) and the npm registry.
# Progress and errors go to stderr; the exit status is 1 on any failure.
#
# The npm package @openai/codex is only a Node launcher; the native binary
# comes in a per-platform optional dependency, an npm alias of
# @openai/codex@<version>-<platform>, which puts it at
#   node_modules/@openai/codex-<platform>/vendor/<target triple>/bin/codex
# (older releases: node_modules/@openai/codex/vendor/<triple>/codex/codex).
# We run that binary directly: no Node process between the tests and Codex.
set -euo pipefail

# The Codex CLI version the interop tests were written against and pass with.
PINNED=0.171.0

fail() {
	echo "real-codex.sh: $*" >&2
	exit 1
}

[ $# -ge 1 ] && [ -n "$1" ] || fail "usage: real-codex.sh DIR [VERSION]"
version=${2:-${REAL_CODEX_VERSION:-$PINNED}}
mkdir -p "$1" || fail "cannot create the install folder $1"
dir=$(cd "$1" && pwd -P)

case "$(uname -s)-$(uname -m)" in
Linux-x86_64) platform=linux-x64 ;;
Linux-aarch64 | Linux-arm64) platform=linux-arm64 ;;
Darwin-x86_64) platform=darwin-x64 ;;
Darwin-arm64) platform=darwin-arm64 ;;
*) fail "Codex publishes no native binary for $(uname -s)-$(uname -m)" ;;
esac

# native_binary prints the path of the installed native binary, if any.
native_binary() {
	[ -d "$dir/node_modules/@openai" ] || return 0
	find "$dir/node_modules/@openai" -path '*/vendor/*' -name codex -type f -perm -u+x 2>/dev/null | sort | head -n 1
}

# is_wanted succeeds if binary $1 runs and is the wanted version.
is_wanted() {
	local got
	got=$("$1" --version 2>/dev/null) || return 1
	[ "$got" = "codex-cli $version" ]
}

# Two test processes (or two make runs) may call this at once on one DIR:
# the second waits for the first's install instead of racing npm.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$dir/.real-codex.lock"
	flock -w 600 9 || fail "waited 10 minutes for another install into $dir (lock $dir/.real-codex.lock)"
fi

bin=$(native_binary)
if [ -n "$bin" ] && is_wanted "$bin"; then
	echo "$bin"
	exit 0
fi

command -v npm >/dev/null 2>&1 || fail "npm is not installed (Debian: apt-get install nodejs npm, or run packaging/linux/build-deps.sh test)"
echo "real-codex.sh: installing @openai/codex@$version into $dir (about 400 MiB) ..." >&2
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error --include=optional \
	"@openai/codex@$version" >&2 || fail "npm install @openai/codex@$version failed (npm's output is above)"

bin=$(native_binary)
if [ -z "$bin" ]; then
	# npm sometimes leaves an optional dependency out (a known npm bug with
	# lock files written on another platform): ask for the platform package.
	echo "real-codex.sh: the $platform binary was not installed; installing @openai/codex@$version-$platform ..." >&2
	npm install --prefix "$dir" --no-audit --no-fund --loglevel=error --save-exact \
		"@openai/codex-$platform@npm:@openai/codex@$version-$platform" >&2 ||
		fail "npm install of @openai/codex@$version-$platform failed (npm's output is above)"
	bin=$(native_binary)
fi
[ -n "$bin" ] || fail "npm installed @openai/codex@$version but no native codex binary is under $dir/node_modules/@openai"
is_wanted "$bin" || fail "$bin is not codex-cli $version: it says '$("$bin" --version 2>&1 | head -n 1)'"
echo "$bin"
