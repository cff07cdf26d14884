package provider

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

func collect(t testing.TB, r io.Reader, cfg DecodeConfig) ([]Event, error) {
	t.Helper()
	var out []Event
	for ev, err := range Decode(r, cfg) {
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
	return out, nil
}

const helloStream = "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r1\"}}\n\n" +
	"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"m\",\"delta\":\"Hel\"}\n\n" +
	"event: response.reasoning_summary_text.delta\ndata: {\"type\":\"response.reasoning_summary_text.delta\",\"summary_index\":1,\"delta\":\"why\"}\n\n" +
	"event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r1\",\"usage\":{\"input_tokens\":10,\"input_tokens_details\":{\"cached_tokens\":4},\"output_tokens\":7,\"output_tokens_details\":{\"reasoning_tokens\":3},\"total_tokens\":17}}}\n\n"

var helloEvents = []Event{
	Created{ResponseID: "r1"},
	TextDelta{ItemID: "m", Delta: "Hel"},
	ReasoningSummaryDelta{SummaryIndex: 1, Delta: "why"},
	Completed{ResponseID: "r1", Usage: Usage{InputTokens: 10, CachedInputTokens: 4, OutputTokens: 7, ReasoningTokens: 3, TotalTokens: 17}},
}

func TestDecodeRawBodies(t *testing.T) {
	delta := func(s string) Event { return TextDelta{Delta: s} }
	cases := map[string]struct {
		body string
		want []Event
	}{
		"plain":             {helloStream, helloEvents},
		"crlf":              {strings.ReplaceAll(helloStream, "\n", "\r\n"), helloEvents},
		"cr only":           {strings.ReplaceAll(helloStream, "\n", "\r"), helloEvents},
		"comments":          {": keep-alive\n\n" + strings.ReplaceAll(helloStream, "\n\n", "\n: ping\n\n"), helloEvents},
		"no event lines":    {"data: {\"type\":\"response.output_text.delta\",\"delta\":\"a\"}\n\n", []Event{delta("a")}},
		"no space":          {"data:{\"type\":\"response.output_text.delta\",\"delta\":\"a\"}\n\n", []Event{delta("a")}},
		"multi-line data":   {"event: x\ndata: {\"type\":\ndata: \"response.output_text.delta\",\ndata: \"delta\":\"a\\nb\"}\n\n", []Event{delta("a\nb")}},
		"event line lies":   {"event: response.completed\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"a\"}\n\n", []Event{delta("a")}},
		"not json skipped":  {"data: [DONE]\n\ndata: {oops\n\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"a\"}\n\n", []Event{delta("a")}},
		"unknown ignored":   {"data: {\"type\":\"response.in_progress\"}\n\ndata: {\"type\":\"codex.rate_limits\"}\n\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"a\"}\n\n", []Event{delta("a")}},
		"retry and id":      {"retry: 10\nid: 7\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"a\"}\n\n", []Event{delta("a")}},
		"empty events":      {"\n\n\n\nevent: nothing\n\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"a\"}\n\n", []Event{delta("a")}},
		"no final blank":    {"data: {\"type\":\"response.output_text.delta\",\"delta\":\"a\"}\n", []Event{delta("a")}},
		"item without item": {"data: {\"type\":\"response.output_item.done\"}\n\n", nil},
		"failed": {"data: {\"type\":\"response.failed\",\"response\":{\"id\":\"r\",\"error\":{\"type\":\"usage_limit_reached\",\"code\":\"usage_limit_reached\",\"message\":\"m\",\"plan_type\":\"plus\",\"resets_at\":1900000000}}}\n\n",
			[]Event{Failed{ResponseID: "r", Type: "usage_limit_reached", Code: "usage_limit_reached", Message: "m", PlanType: "plus", ResetsAt: unix(1900000000)}}},
		"incomplete":    {"data: {\"type\":\"response.incomplete\",\"response\":{\"incomplete_details\":{\"reason\":\"max_output_tokens\"}}}\n\n", []Event{Incomplete{Reason: "max_output_tokens"}}},
		"error event":   {"data: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"boom\",\"param\":null,\"sequence_number\":2}\n\n", []Event{ErrorEvent{Code: "server_error", Message: "boom"}}},
		"wrapped error": {"data: {\"type\":\"error\",\"status\":429,\"error\":{\"type\":\"usage_limit_reached\",\"message\":\"m\"}}\n\n", []Event{ErrorEvent{Code: "usage_limit_reached", Message: "m"}}},
		"numeric code":  {"data: {\"type\":\"error\",\"code\":500,\"message\":\"x\"}\n\n", []Event{ErrorEvent{Code: "500", Message: "x"}}},
		"null details":  {"data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"usage\":{\"input_tokens\":1,\"input_tokens_details\":null,\"output_tokens\":2,\"output_tokens_details\":null,\"total_tokens\":3}}}\n\n", []Event{Completed{ResponseID: "r", Usage: Usage{InputTokens: 1, OutputTokens: 2, TotalTokens: 3}}}},
		"function call": {"data: {\"type\":\"response.output_item.done\",\"item\":{\"type\":\"function_call\",\"name\":\"f\",\"arguments\":\"{}\",\"call_id\":\"c\"}}\n\n",
			[]Event{ItemDone{Item: Item{Type: "function_call", Name: "f", Arguments: "{}", CallID: "c"}}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := collect(t, strings.NewReader(c.body), DecodeConfig{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %#v\nwant %#v", got, c.want)
			}
		})
	}
}

// splitReader returns the body in two reads split at n.
type splitReader struct {
	parts [][]byte
}

func (r *splitReader) Read(p []byte) (int, error) {
	for len(r.parts) > 0 && len(r.parts[0]) == 0 {
		r.parts = r.parts[1:]
	}
	if len(r.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.parts[0])
	r.parts[0] = r.parts[0][n:]
	return n, nil
}

func TestDecodeSplitAtEveryByte(t *testing.T) {
	for _, body := range []string{helloStream, strings.ReplaceAll(helloStream, "\n", "\r\n")} {
		b := []byte(body)
		for i := 0; i <= len(b); i++ {
			got, err := collect(t, &splitReader{parts: [][]byte{b[:i], b[i:]}}, DecodeConfig{})
			if err != nil || !reflect.DeepEqual(got, helloEvents) {
				t.Fatalf("split at %d: %v %#v", i, err, got)
			}
		}
		got, err := collect(t, iotest.OneByteReader(strings.NewReader(body)), DecodeConfig{})
		if err != nil || !reflect.DeepEqual(got, helloEvents) {
			t.Fatalf("one byte at a time: %v %#v", err, got)
		}
	}
}

func TestDecodeLargeCompleted(t *testing.T) {
	big := strings.Repeat("x", 5<<20)
	body := fmt.Sprintf("data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"output\":[{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":%q}]}]}}\n\n", big)
	got, err := collect(t, strings.NewReader(body), DecodeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].(Completed).ResponseID != "r" {
		t.Fatalf("got %#v", got)
	}
	// Above the limit, the decoder stops with an error rather than grow without end.
	_, err = collect(t, strings.NewReader(body), DecodeConfig{MaxEventSize: 1 << 20})
	if err == nil {
		t.Fatal("an event over MaxEventSize decoded without error")
	}
}

func TestDecodeReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("data: {\"type\":\"response.output_text.delta\",\"delta\":\"a\"}\n\n"), iotest.ErrReader(boom))
	got, err := collect(t, r, DecodeConfig{})
	if !errors.Is(err, boom) || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(helloStream))
	f.Add([]byte(strings.ReplaceAll(helloStream, "\n", "\r\n")))
	f.Add([]byte("data: {\"type\":\"error\",\"code\":1}\n\n: c\n\ndata: {\"type\":\"response.failed\",\"response\":{\"error\":{\"resets_at\":\"x\"}}}\n"))
	f.Add([]byte("data: {\"type\":\"response.output_item.done\",\"item\":{\"type\":\"message\",\"content\":[{}]}}\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		for ev, err := range Decode(bytes.NewReader(data), DecodeConfig{MaxEventSize: 1 << 16}) {
			if err != nil {
				break
			}
			if ev == nil {
				t.Fatal("nil event without error")
			}
			n++
			if n > len(data) {
				t.Fatal("more events than bytes")
			}
		}
		// Splitting the input must not change what comes out.
		if len(data) > 1 {
			a, errA := collect(t, bytes.NewReader(data), DecodeConfig{MaxEventSize: 1 << 16})
			b, errB := collect(t, iotest.OneByteReader(bytes.NewReader(data)), DecodeConfig{MaxEventSize: 1 << 16})
			if (errA == nil) != (errB == nil) || (errA == nil && !reflect.DeepEqual(a, b)) {
				t.Fatalf("whole vs byte-wise: %v/%v\n%#v\n%#v", errA, errB, a, b)
			}
		}
	})
}

func BenchmarkStreamDecode(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r1\"}}\n\n")
	const deltas = 20000
	for i := 0; i < deltas; i++ {
		fmt.Fprintf(&buf, "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":1,\"content_index\":0,\"delta\":\"word%d \",\"sequence_number\":%d}\n\n", i, i+2)
	}
	buf.WriteString("event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r1\",\"usage\":{\"input_tokens\":1,\"output_tokens\":20000,\"total_tokens\":20001}}}\n\n")
	body := buf.Bytes()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	events := 0
	for i := 0; i < b.N; i++ {
		for _, err := range Decode(bytes.NewReader(body), DecodeConfig{}) {
			if err != nil {
				b.Fatal(err)
			}
			events++
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	if events != b.N*(deltas+2) {
		b.Fatalf("decoded %d events, want %d", events, b.N*(deltas+2))
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(events), "allocs/event")
}
