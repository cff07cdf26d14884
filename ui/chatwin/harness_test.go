package chatwin

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/provider"
	pt "github.com/codextray/codextray/core/provider/providertest"
	"github.com/codextray/codextray/ui/control"
	"github.com/codextray/codextray/ui/view"
)

const chatTestToken = "chat-ui-test-token"

// chatHarness runs a chat window in Fyne's test app against the fake
// backend. The test goroutine is the UI goroutine: the pacer's draws are
// queued on ui and run by pump.
type chatHarness struct {
	t    *testing.T
	srv  *pt.Server
	w    *Window
	ui   chan func()
	quit chan struct{}
	// drawn is called after every draw, on the test goroutine.
	drawn func()
}

func newChatHarness(t *testing.T, mod ...func(*Deps)) *chatHarness {
	t.Helper()
	return newChatHarnessIn(t, test.NewTempApp(t), mod...)
}

// newChatHarnessIn is newChatHarness in the app a: a second window on the
// same preferences is what the next window host shows.
func newChatHarnessIn(t *testing.T, a fyne.App, mod ...func(*Deps)) *chatHarness {
	t.Helper()
	srv := pt.New(t, chatTestToken)
	srv.ExpectAccountID(authtest.AccountID)
	srv.SetModels(pt.Fixture(t, "models.json"), `"m1"`)
	srv.SetUsage([]byte(`{"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,
		"primary_window":{"used_percent":42,"limit_window_seconds":18000},
		"secondary_window":{"used_percent":93,"limit_window_seconds":604800}}}`), nil)
	c := provider.New(provider.Options{
		Credentials: provider.StaticSource{Credentials: provider.Credentials{
			Mode: provider.ModeChatGPT, Token: auth.NewSecret(chatTestToken), AccountID: authtest.AccountID}},
		ChatGPTBaseURL: srv.ChatGPTBaseURL, OpenAIBaseURL: srv.OpenAIBaseURL,
		AppVersion: "0.1.0-test", MaxRetries: -1, CacheDir: "-",
	})
	deps := Deps{Stream: chat.ClientStream(c), LoadFile: chat.LoadFile}
	for _, m := range mod {
		m(&deps)
	}
	h := &chatHarness{t: t, srv: srv, ui: make(chan func()), quit: make(chan struct{})}
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
	h.w = newWindow(a, deps, post)
	t.Cleanup(func() {
		close(h.quit)
		h.w.Close()
	})
	h.w.Show()
	h.w.win.Resize(fyne.NewSize(700, 560))
	// The host's State brings the models and usage, as its controller
	// fetched them from the backend.
	b := control.ProviderBackend(c)
	models, err := b.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	usage, err := b.Usage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h.w.Update(view.State{Models: &models, Usage: &usage})
	h.pump("the model list", func() bool { return len(h.w.modelSel.Options) > 1 })
	return h
}

// pump runs draws on the test goroutine until cond holds (10 s at most).
func (h *chatHarness) pump(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case f := <-h.ui:
			f()
			if h.drawn != nil {
				h.drawn()
			}
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// idle runs the pending draws until the conversation is at rest.
func (h *chatHarness) idle() {
	h.t.Helper()
	h.pump("the answer to end", func() bool { return !h.w.conv.Busy() && h.w.sendBtn.Text == "Send" })
	h.pump("the last draw", func() bool {
		n := h.w.conv.Len()
		return len(h.w.views) == n && (n == 0 || h.w.views[n-1].rev == h.w.conv.Message(n-1).Rev)
	})
}

func (h *chatHarness) typeAndEnter(text string) {
	test.Type(h.w.entry, text)
	h.w.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// shown is the answer text as the widgets show it.
func (h *chatHarness) shown(id int) string {
	if id >= len(h.w.views) {
		return ""
	}
	var b strings.Builder
	for _, blk := range h.w.views[id].blocks {
		for _, s := range blk.segs {
			b.WriteString(s.Textual())
		}
	}
	return b.String()
}

func chatChunks(events ...map[string]any) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = pt.Record(e)
	}
	return out
}

func chatAnswer(text string) pt.Reply {
	ev := []map[string]any{pt.Created("resp_1"), pt.ReasoningDelta(0, "**Reading** the question."),
		pt.ReasoningDone([]string{"**Reading** the question."}, "enc-ui")}
	for _, w := range strings.SplitAfter(text, " ") {
		ev = append(ev, pt.TextDelta(w))
	}
	ev = append(ev, pt.MessageDone(text), pt.Completed("resp_1", pt.Usage{Input: 1234, Cached: 1000, Output: 56, Reasoning: 12}))
	return pt.Reply{Chunks: chatChunks(ev...), Header: map[string]string{
		"x-codex-primary-used-percent": "44", "x-codex-primary-window-minutes": "300",
		"x-codex-secondary-used-percent": "93", "x-codex-secondary-window-minutes": "10080"}}
}
