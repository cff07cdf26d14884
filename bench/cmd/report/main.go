// Command report reads `go test -bench` output (several -count runs, from
// stdin or the files named) and prints one line per figure of issue 9:
//
//	name: value unit (ratio vs PEER) [target …: met|missed]
//
// each value the median over the runs. A figure whose benchmark did not run
// prints "name: n/a (why)".
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// figure is one printed line: the median of metric of bench, compared with
// the same metric of peer (or with a fixed peer figure).
type figure struct {
	name, bench, metric, unit string
	peer, peerName            string  // benchmark of the peer, and its name
	peerValue                 float64 // a fixed peer figure instead of peer
	target                    string  // "ratio>=1.5", "ratio<=0.5", "value<150"
	missing                   string  // why, when bench did not run
	ratioOnly                 bool    // the figure is the ratio itself
}

var chatMissing = "chat window benchmark did not run"

var figures = []figure{
	{name: "stream_events_per_s", bench: "Stream/impl=codextray", metric: "events/s", unit: "events/s",
		peer: "Stream/impl=openai-go", peerName: "openai-go", target: "ratio>=1.5"},
	{name: "stream_allocs_per_event", bench: "Stream/impl=codextray", metric: "allocs/event", unit: "allocs/event",
		peer: "Stream/impl=openai-go", peerName: "openai-go", target: "ratio<=0.5"},
	{name: "stream_bytes_per_event", bench: "Stream/impl=codextray", metric: "B/event", unit: "B/event",
		peer: "Stream/impl=openai-go", peerName: "openai-go"},
	{name: "stream_events_per_s.openai-go", bench: "Stream/impl=openai-go", metric: "events/s", unit: "events/s"},
	{name: "stream_allocs_per_event.openai-go", bench: "Stream/impl=openai-go", metric: "allocs/event", unit: "allocs/event"},
	{name: "decode_events_per_s", bench: "StreamDecode/impl=codextray", metric: "events/s", unit: "events/s",
		peer: "StreamDecode/impl=openai-go", peerName: "openai-go"},
	{name: "decode_allocs_per_event", bench: "StreamDecode/impl=codextray", metric: "allocs/event", unit: "allocs/event",
		peer: "StreamDecode/impl=openai-go", peerName: "openai-go"},
	{name: "delta_to_screen_p50", bench: "ChatDeltaToScreen", metric: "p50-ms", unit: "ms", missing: chatMissing},
	{name: "delta_to_screen_p99", bench: "ChatDeltaToScreen", metric: "p99-ms", unit: "ms", target: "value<16", missing: chatMissing},
	{name: "watch_latency_p50", bench: "WatchLatency", metric: "p50-ms", unit: "ms",
		peerName: "a 60 s re-read timer", peerValue: 30000},
	{name: "watch_latency_p99", bench: "WatchLatency", metric: "p99-ms", unit: "ms",
		peerName: "a 60 s re-read timer", peerValue: 59400, target: "value<150"},
	{name: "idle_cpu", bench: "Idle/app=codextray", metric: "idle-cpu-s/min", unit: "s CPU/min",
		peer: "Idle/app=bare-fyne", peerName: "a bare Fyne tray", target: "value<0.1"},
	{name: "idle_peak_rss", bench: "Idle/app=codextray", metric: "idle-peak-rss-MB", unit: "MB",
		peer: "Idle/app=bare-fyne", peerName: "a bare Fyne tray", target: "value<60"},
	{name: "idle_cpu_after_chat", bench: "Idle/app=codextray", metric: "closed-cpu-s/min", unit: "s CPU/min", target: "value<0.1"},
	{name: "idle_peak_rss_after_chat", bench: "Idle/app=codextray", metric: "closed-peak-rss-MB", unit: "MB"},
	{name: "chat_open_peak_rss", bench: "Idle/app=codextray", metric: "chat-open-peak-rss-MB", unit: "MB"},
	{name: "idle_private_memory", bench: "Idle/app=codextray", metric: "idle-anon-MB", unit: "MB",
		peer: "Idle/app=bare-fyne", peerName: "a bare Fyne tray"},
	{name: "chat_open_private_memory", bench: "Idle/app=codextray", metric: "chat-open-anon-MB", unit: "MB"},
	{name: "idle_cpu.bare-fyne-tray", bench: "Idle/app=bare-fyne", metric: "idle-cpu-s/min", unit: "s CPU/min"},
	{name: "idle_peak_rss.bare-fyne-tray", bench: "Idle/app=bare-fyne", metric: "idle-peak-rss-MB", unit: "MB"},
	{name: "idle_cpu.bare-systray", bench: "Idle/app=bare-systray", metric: "idle-cpu-s/min", unit: "s CPU/min"},
	{name: "idle_peak_rss.bare-systray", bench: "Idle/app=bare-systray", metric: "idle-peak-rss-MB", unit: "MB"},
	{name: "chat_update_10_messages", bench: "ChatRenderScale/messages=10", metric: "update-µs", unit: "µs", missing: chatMissing},
	{name: "chat_update_1000_messages", bench: "ChatRenderScale/messages=1000", metric: "update-µs", unit: "µs",
		peer: "ChatRenderScale/messages=10", peerName: "10 messages", missing: chatMissing},
	{name: "chat_render_scale", bench: "ChatRenderScale/messages=1000", metric: "update-µs", unit: "× (1,000 vs 10 messages)",
		peer: "ChatRenderScale/messages=10", ratioOnly: true, target: "ratio<=1.5", missing: chatMissing},
	{name: "startup_to_tray", bench: "Startup", metric: "median-ms", unit: "ms", target: "value<400"},
}

// benchLine is "BenchmarkName-N  iters  v unit  v unit …".
var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

func main() {
	results := map[string]map[string][]float64{} // bench -> metric -> values
	var in []io.Reader
	for _, f := range os.Args[1:] {
		r, err := os.Open(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(1)
		}
		defer r.Close()
		in = append(in, r)
	}
	if len(in) == 0 {
		in = append(in, os.Stdin)
	}
	sc := bufio.NewScanner(io.MultiReader(in...))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			if results[m[1]] == nil {
				results[m[1]] = map[string][]float64{}
			}
			results[m[1]][f[i+1]] = append(results[m[1]][f[i+1]], v)
		}
	}
	// The chat window's own benchmarks of one streaming update, when they
	// ran, stand for ChatRenderScale.
	for n, name := range map[string]string{"10": "ChatStreamingUpdate10", "1000": "ChatStreamingUpdate1000"} {
		if ns := results[name]["ns/op"]; len(ns) > 0 {
			us := make([]float64, len(ns))
			for i, v := range ns {
				us[i] = v / 1000
			}
			results["ChatRenderScale/messages="+n] = map[string][]float64{"update-µs": us}
		}
	}
	median := func(bench, metric string) (float64, int, bool) {
		vs := slices.Clone(results[bench][metric])
		if len(vs) == 0 {
			return 0, 0, false
		}
		slices.Sort(vs)
		if n := len(vs); n%2 == 1 {
			return vs[n/2], n, true
		}
		return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, len(vs), true
	}
	for _, fg := range figures {
		v, n, ok := median(fg.bench, fg.metric)
		if !ok {
			why := fg.missing
			if why == "" {
				why = "benchmark " + fg.bench + " did not run"
			}
			fmt.Printf("%s: n/a (%s)\n", fg.name, why)
			continue
		}
		line := fmt.Sprintf("%s: %s %s", fg.name, num(v), fg.unit)
		ratio, haveRatio := 0.0, false
		switch {
		case fg.ratioOnly:
			p, _, ok := median(fg.peer, fg.metric)
			if !ok || p == 0 {
				fmt.Printf("%s: n/a (benchmark %s did not run)\n", fg.name, fg.peer)
				continue
			}
			ratio, haveRatio = v/p, true
			line = fmt.Sprintf("%s: %.2f %s", fg.name, ratio, fg.unit)
		case fg.peer != "":
			if p, _, ok := median(fg.peer, fg.metric); ok && p != 0 {
				ratio, haveRatio = v/p, true
				line += fmt.Sprintf(" (%.2f× vs %s: %s %s)", ratio, fg.peerName, num(p), fg.unit)
			}
		case fg.peerValue != 0:
			ratio, haveRatio = v/fg.peerValue, true
			line += fmt.Sprintf(" (%.4f× vs %s: %s %s)", ratio, fg.peerName, num(fg.peerValue), fg.unit)
		}
		if fg.target != "" {
			line += " [target " + fg.target + ": " + verdict(fg.target, v, ratio, haveRatio) + "]"
		}
		if n > 1 {
			line += fmt.Sprintf(" median of %d", n)
		}
		fmt.Println(line)
	}
}

// verdict checks "ratio>=1.5" or "value<150".
func verdict(target string, v, ratio float64, haveRatio bool) string {
	m := regexp.MustCompile(`^(ratio|value)(<=|>=|<|>)([0-9.]+)$`).FindStringSubmatch(target)
	if m == nil {
		return "?"
	}
	x := v
	if m[1] == "ratio" {
		if !haveRatio {
			return "no peer figure"
		}
		x = ratio
	}
	lim, _ := strconv.ParseFloat(m[3], 64)
	ok := map[string]bool{"<=": x <= lim, ">=": x >= lim, "<": x < lim, ">": x > lim}[m[2]]
	if ok {
		return "met"
	}
	return "missed"
}

// num prints v with three significant digits, without exponent.
func num(v float64) string {
	switch a := max(v, -v); {
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}
