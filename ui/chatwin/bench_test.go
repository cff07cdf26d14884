package chatwin

// Rendering scale of the chat window for `make bench` (issue 9,
// bench/run.sh): Fyne's test driver, the window's own draw.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/provider"
)

// newBenchChat opens a chat window whose pacer's draws are dropped: the
// benchmark calls draw itself, on its own goroutine.
func newBenchChat(b *testing.B, stream chat.StreamFunc) *Window {
	b.Helper()
	w := newWindow(test.NewTempApp(b), Deps{Stream: stream}, func(func()) {})
	b.Cleanup(w.Close)
	w.Show()
	w.win.Resize(fyne.NewSize(760, 680))
	return w
}

// benchConversation is n earlier messages, questions and Markdown answers
// with a list and a code block, as a long chat has.
func benchConversation(n int) []chat.Message {
	msgs := make([]chat.Message, n)
	for i := range msgs {
		if i%2 == 0 {
			msgs[i] = chat.Message{Role: chat.RoleUser, Text: fmt.Sprintf("Question %d: how do I read a file line by line in Go?", i/2)}
			continue
		}
		msgs[i] = chat.Message{Role: chat.RoleAssistant, Model: "gpt-5.2-codex", State: chat.StateDone,
			Text: fmt.Sprintf("Answer %d. Use a **bufio.Scanner** over the file:\n\n"+
				"- open it with `os.Open`\n- scan with `sc.Scan()`\n- check `sc.Err()` at the end\n\n"+
				"```go\nf, err := os.Open(name)\nif err != nil {\n\treturn err\n}\ndefer f.Close()\nsc := bufio.NewScanner(f)\nfor sc.Scan() {\n\tfmt.Println(sc.Text())\n}\n```\n\n"+
				"Lines longer than 64 KiB need `sc.Buffer`.", i/2)}
	}
	return msgs
}

// BenchmarkChatRenderScale times one streaming update (one delta appended
// to the answer being streamed, then one draw) in a conversation of 10 and
// of 1,000 earlier messages. Run it with a fixed -benchtime (400x) so both
// answers grow alike.
func BenchmarkChatRenderScale(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run("messages="+strconv.Itoa(n), func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := &gatedStream{events: make(chan provider.Event), ctx: ctx}
			stream := func(context.Context, provider.TurnRequest) (chat.Stream, error) { return s, nil }
			w := newBenchChat(b, stream)
			w.conv.Load(benchConversation(n), nil)
			w.draw() // lays out and measures every earlier message once
			if err := w.conv.Send(ctx, "Count.", nil, "gpt-5.2-codex", ""); err != nil {
				b.Fatal(err)
			}
			s.events <- provider.Created{ResponseID: "resp_1"}
			w.draw()
			last := w.conv.Len() - 1
			if w.conv.Len() != n+2 || len(w.views) != n+2 {
				b.Fatalf("%d messages, %d views; want %d", w.conv.Len(), len(w.views), n+2)
			}
			words := strings.Fields("The quick brown fox jumps over the lazy dog, and then `code` and **bold** text.")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				rev := w.conv.Message(last).Rev
				s.events <- provider.TextDelta{Delta: words[i%len(words)] + " "}
				for w.conv.Message(last).Rev == rev {
					time.Sleep(20 * time.Microsecond)
				}
				b.StartTimer()
				w.draw()
			}
			b.StopTimer()
			if got := w.views[last].msg.Text; !strings.HasPrefix(got, "The") {
				b.Fatalf("the streamed answer shows %.40q", got)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "update-µs")
		})
	}
}
