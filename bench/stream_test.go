package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/responses"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/provider"
)

// streamDeltas is the number of text deltas in the benchmark stream; with
// response.created and response.completed it makes streamEvents events.
const (
	streamDeltas = 20000
	streamEvents = streamDeltas + 2
)

// streamBody is a Responses stream as the backend frames it: created,
// 20,000 output_text deltas of one word each, completed.
func streamBody() []byte {
	var buf bytes.Buffer
	buf.WriteString("event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1700000000,\"status\":\"in_progress\",\"model\":\"gpt-5.2-codex\",\"output\":[]}}\n\n")
	for i := 0; i < streamDeltas; i++ {
		fmt.Fprintf(&buf, "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":1,\"content_index\":0,\"delta\":\"word%d \",\"logprobs\":[],\"sequence_number\":%d}\n\n", i, i+1)
	}
	fmt.Fprintf(&buf, "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":%d,\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1700000000,\"status\":\"completed\",\"model\":\"gpt-5.2-codex\",\"output\":[],\"usage\":{\"input_tokens\":1,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":20000,\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":20001}}}\n\n", streamDeltas+1)
	return buf.Bytes()
}

// streamServer is the one local server both clients read from: every POST
// to …/responses gets the same stream.
func streamServer(b *testing.B, body []byte) *httptest.Server {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(body)
	})}}
	srv.Start()
	b.Cleanup(srv.Close)
	return srv
}

// apiKey signs our provider's requests (API-key mode, as openai-go's).
type apiKey struct{}

func (apiKey) Current(context.Context) (provider.Credentials, error) {
	return provider.Credentials{Mode: provider.ModeAPIKey, Token: auth.NewSecret("sk-bench-0000000000000000")}, nil
}

func (k apiKey) AfterUnauthorized(ctx context.Context, _ provider.Credentials) (provider.Credentials, error) {
	return k.Current(ctx)
}

// readOurs streams one turn with our provider and returns the events and
// the bytes of answer text it saw.
func readOurs(ctx context.Context, c *provider.Client) (events, text int, err error) {
	s, err := c.Stream(ctx, provider.TurnRequest{Model: "gpt-5.2-codex", Input: []provider.Item{provider.UserMessage("Count.")}})
	if err != nil {
		return 0, 0, err
	}
	defer s.Close()
	for s.Next() {
		events++
		if d, ok := s.Event().(provider.TextDelta); ok {
			text += len(d.Delta)
		}
	}
	return events, text, s.Err()
}

// readPeer streams one turn with openai-go's Responses streaming.
func readPeer(ctx context.Context, c openai.Client) (events, text int, err error) {
	s := c.Responses.NewStreaming(ctx, responses.ResponseNewParams{
		Model: "gpt-5.2-codex",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Count.")},
	})
	defer s.Close()
	for s.Next() {
		events++
		if ev := s.Current(); ev.Type == "response.output_text.delta" {
			text += len(ev.Delta)
		}
	}
	return events, text, s.Err()
}

// measure runs read b.N times and reports events/s and allocs/event. The
// allocation count is the whole process's (client and the shared server).
func measure(b *testing.B, read func() (int, int, error)) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	events := 0
	for i := 0; i < b.N; i++ {
		n, text, err := read()
		if err != nil {
			b.Fatal(err)
		}
		if n != streamEvents || text == 0 {
			b.Fatalf("read %d events (%d bytes of text), want %d", n, text, streamEvents)
		}
		events += n
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(events), "allocs/event")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(events), "B/event")
}

// BenchmarkStream reads the same 20,000-delta stream from one local server
// over HTTP with each client, in the same run.
func BenchmarkStream(b *testing.B) {
	body := streamBody()
	srv := streamServer(b, body)
	ctx := context.Background()
	b.Run("impl=codextray", func(b *testing.B) {
		c := provider.New(provider.Options{Credentials: apiKey{}, OpenAIBaseURL: srv.URL + "/v1", CacheDir: "-", MaxRetries: -1})
		b.SetBytes(int64(len(body)))
		measure(b, func() (int, int, error) { return readOurs(ctx, c) })
	})
	b.Run("impl=openai-go", func(b *testing.B) {
		c := openai.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey("sk-bench-0000000000000000"), option.WithMaxRetries(0))
		b.SetBytes(int64(len(body)))
		measure(b, func() (int, int, error) { return readPeer(ctx, c) })
	})
}

// BenchmarkStreamDecode decodes the same stream from memory: the decoders
// alone, without HTTP.
func BenchmarkStreamDecode(b *testing.B) {
	body := streamBody()
	b.Run("impl=codextray", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		measure(b, func() (events, text int, err error) {
			for ev, err := range provider.Decode(bytes.NewReader(body), provider.DecodeConfig{}) {
				if err != nil {
					return events, text, err
				}
				events++
				if d, ok := ev.(provider.TextDelta); ok {
					text += len(d.Delta)
				}
			}
			return events, text, nil
		})
	})
	b.Run("impl=openai-go", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		measure(b, func() (events, text int, err error) {
			res := &http.Response{Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: io.NopCloser(bytes.NewReader(body))}
			s := ssestream.NewStream[responses.ResponseStreamEventUnion](ssestream.NewDecoder(res), nil)
			defer s.Close()
			for s.Next() {
				events++
				if ev := s.Current(); ev.Type == "response.output_text.delta" {
					text += len(ev.Delta)
				}
			}
			return events, text, s.Err()
		})
	})
}
