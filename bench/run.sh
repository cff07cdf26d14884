#!/usr/bin/env bash
# bench/run.sh [OUTDIR]: runs every benchmark of issue 9 and prints one line
# per figure (cmd/report). Run it through `make bench`, which builds the app
# and runs this inside packaging/linux/test-session.sh (D-Bus, keyring, Xvfb).
#
# OUTDIR (default ../bin/bench) gets raw.txt, the go test output that
# benchstat reads (benchstat raw.txt; benchstat -col /impl raw.txt), and
# figures.txt, the printed lines. The raw output also goes to stderr.
#
# BENCH_COUNT (default 5): runs of each in-process benchmark (-count).
# CODEXTRAY_BIN: the app binary (default ../bin/codextray).
# CODEXTRAY_BENCH_IDLE_SECONDS: length of each idle phase (default 60).
set -uo pipefail
cd "$(dirname "$0")"
out=${1:-../bin/bench}
mkdir -p "$out"
out=$(cd "$out" && pwd)
count=${BENCH_COUNT:-5}
tags=${TAGS:-migrated_fynedo}
GO=${GO:-go}
export CODEXTRAY_BIN=${CODEXTRAY_BIN:-$(cd .. && pwd)/bin/codextray}
# Fyne logs an error for the C locale, mid-line of the benchmark output.
case "${LANG:-C}" in C | POSIX | C.*) export LANG=en_US.UTF-8 ;; esac
raw=$out/raw.txt
: >"$raw"
failed=0

# run DIR ARGS...: go test -bench in DIR, output appended to raw.txt.
run() {
	local dir=$1
	shift
	echo "bench: (cd $dir && go test $*)" >&2
	(cd "$dir" && $GO test -run '^$' "$@") 2>&1 | tee -a "$raw" >&2 || failed=1
}

# 1. Stream decoding, ours vs openai-go, over HTTP and from memory.
run . -bench '^BenchmarkStream(Decode)?$' -count "$count"
# 3. Watch latency: 50 replacements of auth.json per run.
run . -bench '^BenchmarkWatchLatency$' -benchtime 1x -count 3
# 6. Startup: each run is 10 starts (median inside).
run . -bench '^BenchmarkStartup$' -benchtime 1x -count 3 -timeout 30m
# 4. Idle footprint: two idle minutes per run.
run . -bench '^BenchmarkIdle$' -benchtime 1x -count 1 -timeout 30m
# 2 and 5. The chat window's benchmarks (Fyne's test driver), in the app's
# module: delta to screen (300 deltas per run), and one streaming update in
# a 10- and a 1,000-message conversation: the chat window's own
# BenchmarkChatStreamingUpdate10/1000 where they exist (300 updates each, as
# they ask), else BenchmarkChatRenderScale (400 updates).
if (cd .. && grep -qs 'func BenchmarkChatDeltaToScreen' ui/chatwin/*_test.go); then
	run .. -tags "$tags" -bench '^BenchmarkChatDeltaToScreen$' -benchtime 1x -count "$count" ./ui/chatwin
fi
if (cd .. && grep -qs 'func BenchmarkChatStreamingUpdate1000' ui/chatwin/*_test.go); then
	run .. -tags "$tags" -bench '^BenchmarkChatStreamingUpdate(10|1000)$' -benchtime 300x -count "$count" -timeout 5m ./ui/chatwin
elif (cd .. && grep -qs 'func BenchmarkChatRenderScale' ui/chatwin/*_test.go); then
	run .. -tags "$tags" -bench '^BenchmarkChatRenderScale$' -benchtime 400x -count "$count" ./ui/chatwin
fi

$GO run ./cmd/report "$raw" | tee "$out/figures.txt"
echo "bench: raw results for benchstat in $raw" >&2
exit $failed
