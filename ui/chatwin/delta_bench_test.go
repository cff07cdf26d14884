package chatwin

// Delta to screen for `make bench` (issue 9, bench/run.sh): Fyne's test
// driver, with the window's own provider, conversation, pacer and draw.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/provider"
)

// deltaChat is a chat window whose draws run on the benchmark goroutine:
// post queues them on ui, pump runs them.
type deltaChat struct {
	w    *Window
	ui   chan func()
	quit chan struct{}
}

func newDeltaChat(b *testing.B, stream chat.StreamFunc) *deltaChat {
	b.Helper()
	a := test.NewTempApp(b)
	h := &deltaChat{ui: make(chan func()), quit: make(chan struct{})}
	post := func(f func()) {
		done := make(chan struct{})
		select {
		case h.ui <- func() { f(); close(done) }:
		case <-h.quit:
			return
		}
		select {
		case <-done:
		case <-h.quit:
		}
	}
	h.w = newWindow(a, Deps{Stream: stream}, post)
	b.Cleanup(func() {
		close(h.quit)
		h.w.Close()
	})
	h.w.Show()
	h.w.win.Resize(fyne.NewSize(760, 680))
	return h
}

// BenchmarkChatDeltaToScreen streams 300 deltas from a local server, at
// gaps of 2 to 30 ms (about 60 a second, a fast model), through the real provider,
// conversation and pacer into the window, and times each delta from the
// moment the server writes its bytes to the end of the draw after which a
// RichText of the window holds it.
func BenchmarkChatDeltaToScreen(b *testing.B) {
	const deltas = 300
	var sent [deltas]atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		f := w.(http.Flusher)
		fmt.Fprint(w, "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\"}}\n\n")
		f.Flush()
		for i := 0; i < deltas; i++ {
			time.Sleep(time.Duration(2+(i*7919)%29) * time.Millisecond)
			sent[i].Store(time.Now().UnixNano())
			fmt.Fprintf(w, "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"d%d \"}\n\n", i)
			f.Flush()
		}
		fmt.Fprint(w, "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"usage\":{\"input_tokens\":1,\"output_tokens\":300,\"total_tokens\":301}}}\n\n")
	})}}
	srv.Start()
	b.Cleanup(srv.Close)
	c := provider.New(provider.Options{
		Credentials:   provider.StaticSource{Credentials: provider.Credentials{Mode: provider.ModeAPIKey, Token: auth.NewSecret("sk-bench-0000000000000000")}},
		OpenAIBaseURL: srv.URL + "/v1", CacheDir: "-", MaxRetries: -1,
	})
	// recv: when the provider handed each delta to the conversation.
	var recv [deltas]atomic.Int64
	stream := func(ctx context.Context, r provider.TurnRequest) (chat.Stream, error) {
		s, err := chat.ClientStream(c)(ctx, r)
		if err != nil {
			return nil, err
		}
		return &deltaTimedStream{Stream: s, recv: recv[:]}, nil
	}
	var lat, net []time.Duration
	var check time.Duration
	checks := 0
	for i := 0; i < b.N; i++ {
		h := newDeltaChat(b, stream)
		if err := h.w.conv.Send(context.Background(), "Count.", nil, "gpt-5.2-codex", ""); err != nil {
			b.Fatal(err)
		}
		seen := -1
		deadline := time.After(30 * time.Second)
		for seen < deltas-1 {
			select {
			case f := <-h.ui:
				f()
				drawn := time.Now()
				// The highest marker the list's rows show: the last word of
				// the streamed answer in a row's text.
				top := -1
				for _, r := range h.w.rows {
					for _, blk := range r.blocks {
						words := strings.Fields(blk.rt.String())
						if len(words) == 0 {
							continue
						}
						word := words[len(words)-1]
						if k, err := strconv.Atoi(strings.TrimPrefix(word, "d")); err == nil && strings.HasPrefix(word, "d") && k > top {
							top = k
						}
					}
				}
				for ; seen < top; seen++ {
					lat = append(lat, drawn.Sub(time.Unix(0, sent[seen+1].Load())))
					net = append(net, time.Unix(0, recv[seen+1].Load()).Sub(time.Unix(0, sent[seen+1].Load())))
				}
				check += time.Since(drawn)
				checks++
			case <-deadline:
				b.Fatalf("only %d of %d deltas reached the screen within 30 s", seen+1, deltas)
			}
		}
		h.w.conv.Wait()
	}
	q := func(ds []time.Duration, p float64) float64 {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return float64(ds[min(max(int(p*float64(len(ds))+0.999999)-1, 0), len(ds)-1)]) / float64(time.Millisecond)
	}
	b.ReportMetric(q(lat, 0.50), "p50-ms")
	b.ReportMetric(q(lat, 0.99), "p99-ms")
	b.ReportMetric(q(lat, 1), "max-ms")
	b.ReportMetric(q(net, 0.99), "to-provider-p99-ms")
	b.ReportMetric(float64(check)/float64(checks)/float64(time.Millisecond), "check-ms")
}

// deltaTimedStream notes when each delta "dN " leaves the provider.
type deltaTimedStream struct {
	chat.Stream
	recv []atomic.Int64
}

func (s *deltaTimedStream) Next() bool {
	ok := s.Stream.Next()
	if d, isDelta := s.Event().(provider.TextDelta); ok && isDelta {
		if k, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(d.Delta, "d"))); err == nil && k < len(s.recv) {
			s.recv[k].Store(time.Now().UnixNano())
		}
	}
	return ok
}
