package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/core/provider"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

const chatTestToken = "chat-ui-test-token"

// chatHarness runs a chat window in Fyne's test app against the fake
// backend. The test goroutine is the UI goroutine: the pacer's draws are
// queued on ui and run by pump.
type chatHarness struct {
	t    *testing.T
	srv  *pt.Server
	w    *ChatWindow
	ui   chan func()
	quit chan struct{}
	// drawn is called after every draw, on the test goroutine.
	drawn func()
}

func newChatHarness(t *testing.T, mod ...func(*ChatDeps)) *chatHarness {
	t.Helper()
	return newChatHarnessIn(t, test.NewTempApp(t), mod...)
}

// newChatHarnessIn is newChatHarness in the app a: a second window on the
// same preferences is what the next window host shows.
func newChatHarnessIn(t *testing.T, a fyne.App, mod ...func(*ChatDeps)) *chatHarness {
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
	deps := ChatDeps{Stream: chat.ClientStream(c), Backend: ProviderBackend(c), LoadFile: chat.LoadFile}
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
	h.w = newChatWindow(a, deps, post)
	t.Cleanup(func() {
		close(h.quit)
		h.w.Close()
	})
	h.w.Show()
	h.w.win.Resize(fyne.NewSize(700, 560))
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

func TestChatTypingAndSendingPutsTheTextInTheRequest(t *testing.T) {
	h := newChatHarness(t)
	h.srv.Enqueue(chatAnswer("Go is a programming language."))
	if h.w.modelSel.Selected != "GPT-5.6-Sol" || h.w.effortSel.Selected != "low" {
		t.Errorf("pickers show %q / %q", h.w.modelSel.Selected, h.w.effortSel.Selected)
	}
	h.w.effortSel.SetSelected("high")

	// Shift+Enter adds a line, Enter sends.
	test.Type(h.w.entry, "What is Go?")
	h.w.entry.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	h.w.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.w.entry.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	test.Type(h.w.entry, "Briefly.")
	if h.w.entry.Text != "What is Go?\nBriefly." {
		t.Fatalf("entry = %q", h.w.entry.Text)
	}
	h.w.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if h.w.entry.Text != "" {
		t.Errorf("entry not cleared: %q", h.w.entry.Text)
	}
	h.idle()
	reqs := h.srv.RequestsTo("/codex/responses")
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	var body struct {
		Model     string          `json:"model"`
		Input     []provider.Item `json:"input"`
		Reasoning struct{ Effort string }
	}
	_ = json.Unmarshal(reqs[0].Body, &body)
	body.Input = conversationOnly(body.Input)
	if body.Model != "gpt-5.6-sol" || body.Reasoning.Effort != "high" || len(body.Input) != 1 || body.Input[0].Text() != "What is Go?\nBriefly." {
		t.Errorf("request: model %q effort %q input %+v", body.Model, body.Reasoning.Effort, body.Input)
	}
	if got := h.shown(1); got != "Go is a programming language." {
		t.Errorf("shown %q", got)
	}
	if l := chatTokenLine(h.w.views[1].msg); l != "Tokens: 1,234 in (1,000 cached) · 56 out (12 reasoning)" {
		t.Errorf("usage line %q", l)
	}
	// The meters took the answer's headers; the weekly window warns.
	if !h.w.meters.Visible() || h.w.meterBars[1].Value != 93 || !h.w.warn.Visible() || !strings.Contains(h.w.warn.Text, "week window 93 % used") {
		t.Errorf("meters %v, warning %q", h.w.meters.Visible(), h.w.warn.Text)
	}
}

// gatedStream is a turn whose events the test releases one at a time.
type gatedStream struct {
	events chan provider.Event
	cur    provider.Event
	ctx    context.Context
}

func (s *gatedStream) Next() bool {
	select {
	case ev, ok := <-s.events:
		s.cur = ev
		return ok
	case <-s.ctx.Done():
		return false
	}
}
func (s *gatedStream) Event() provider.Event           { return s.cur }
func (s *gatedStream) Err() error                      { return s.ctx.Err() }
func (s *gatedStream) Close() error                    { return nil }
func (s *gatedStream) Cancel()                         {}
func (s *gatedStream) RateLimits() provider.RateLimits { return provider.RateLimits{} }
func gated(events chan provider.Event) chat.StreamFunc {
	return func(ctx context.Context, _ provider.TurnRequest) (chat.Stream, error) {
		return &gatedStream{events: events, ctx: ctx}, nil
	}
}

func TestChatDeltasShowInOrder(t *testing.T) {
	events := make(chan provider.Event)
	h := newChatHarness(t, func(d *ChatDeps) { d.Stream = gated(events) })
	var frames []string
	h.drawn = func() { frames = append(frames, h.shown(1)) }
	h.typeAndEnter("Count to five")
	want := ""
	for _, d := range []string{"One, ", "two, ", "three, ", "four, ", "**five**."} {
		events <- provider.TextDelta{Delta: d}
		want += d
		shownWant := strings.TrimSpace(strings.ReplaceAll(want, "**", ""))
		h.pump("delta "+d, func() bool { return h.shown(1) == shownWant })
	}
	events <- provider.Completed{}
	close(events)
	h.idle()
	// Every frame shows a prefix of the next: nothing out of order, nothing lost.
	for i := 1; i < len(frames); i++ {
		if !strings.HasPrefix(frames[i], frames[i-1]) {
			t.Fatalf("frame %d %q does not continue frame %d %q", i, frames[i], i-1, frames[i-1])
		}
	}
	if frames[len(frames)-1] != "One, two, three, four, five." {
		t.Errorf("last frame %q", frames[len(frames)-1])
	}
}

func TestChatStopClosesTheServersConnection(t *testing.T) {
	h := newChatHarness(t)
	h.srv.Enqueue(pt.Reply{Chunks: chatChunks(pt.Created("r"), pt.TextDelta("The beginning ")), Hang: true})
	h.typeAndEnter("Tell me a long story")
	h.pump("the first delta and Stop", func() bool { return h.shown(1) == "The beginning" && h.w.sendBtn.Text == "Stop" })
	test.Tap(h.w.sendBtn)
	select {
	case <-h.srv.Disconnected:
	case <-time.After(5 * time.Second):
		t.Fatal("the server never saw the connection close")
	}
	h.idle()
	if m := h.w.views[1].msg; m.State != chat.StateStopped || m.Text != "The beginning " {
		t.Errorf("after Stop: %+v", m)
	}
}

func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 160, 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestChatDropTwoImagesAndATextFile(t *testing.T) {
	h := newChatHarness(t)
	h.srv.Enqueue(chatAnswer("Two pictures."))
	dir := t.TempDir()
	a, b, txt := filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png"), filepath.Join(dir, "notes.txt")
	writePNG(t, a, 64, 48)
	writePNG(t, b, 40, 80)
	_ = os.WriteFile(txt, []byte("hello\n"), 0o600)
	h.w.onDropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(a), storage.NewFileURI(txt), storage.NewFileURI(b)})
	h.pump("two thumbnails and a notice", func() bool {
		h.w.mu.Lock()
		loading := h.w.state.loading
		h.w.mu.Unlock()
		return loading == 0 && len(h.w.thumbs.Objects) == 2 && len(h.w.notices.Objects) == 1
	})
	notice := h.w.notices.Objects[0].(*fyne.Container).Objects[0].(*widget.Label).Text
	if !strings.HasPrefix(notice, "notes.txt is not an image") {
		t.Errorf("notice %q", notice)
	}
	h.typeAndEnter("What is in these?")
	h.idle()
	reqs := h.srv.RequestsTo("/codex/responses")
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	var body struct{ Input []provider.Item }
	_ = json.Unmarshal(reqs[0].Body, &body)
	body.Input = conversationOnly(body.Input)
	var images int
	for _, c := range body.Input[0].Content {
		if c.Type == provider.ContentInputImage {
			images++
			if !strings.HasPrefix(c.ImageURL, "data:image/png;base64,") {
				t.Errorf("image url %.40s", c.ImageURL)
			}
		}
	}
	if images != 2 {
		t.Errorf("%d input_image parts", images)
	}
	if len(h.w.thumbs.Objects) != 0 || len(h.w.views[0].msg.Images) != 2 {
		t.Errorf("after sending: %d thumbnails in the composer, %d in the message", len(h.w.thumbs.Objects), len(h.w.views[0].msg.Images))
	}
}

func TestChatSecondTurnCarriesTheFirst(t *testing.T) {
	h := newChatHarness(t)
	h.srv.Enqueue(chatAnswer("First."), chatAnswer("Second."))
	h.typeAndEnter("one")
	h.idle()
	h.typeAndEnter("two")
	h.idle()
	reqs := h.srv.RequestsTo("/codex/responses")
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	var body struct{ Input []provider.Item }
	_ = json.Unmarshal(reqs[1].Body, &body)
	body.Input = conversationOnly(body.Input)
	var got []string
	for _, it := range body.Input {
		got = append(got, it.Type+":"+it.Text()+it.EncryptedContent)
	}
	if strings.Join(got, "|") != "message:one|reasoning:enc-ui|message:First.|message:two" {
		t.Errorf("second request input %q", got)
	}
}

func TestChatErrorsInlineWithTheirAction(t *testing.T) {
	signedIn := make(chan struct{}, 1)
	h := newChatHarness(t, func(d *ChatDeps) { d.SignIn = func() error { signedIn <- struct{}{}; return nil } })
	h.srv.Enqueue(pt.Reply{Status: 401, Body: `{"detail":"token expired"}`}, pt.Reply{Status: 502, Body: "bad gateway"}, chatAnswer("Fine now."))
	h.typeAndEnter("hello")
	h.idle()
	row := newChatMsgRow(h.w.copyText)
	row.onAction = h.w.onAction
	row.bind(h.w.views[1])
	if row.action.Text != "Sign in again" || row.action.Hidden || !strings.Contains(row.problem.Text, "Sign in again") {
		t.Fatalf("login error shows %q with %q", row.problem.Text, row.action.Text)
	}
	test.Tap(row.action)
	select {
	case <-signedIn:
	case <-time.After(5 * time.Second):
		t.Fatal("Sign in again did not sign in")
	}
	if err := h.w.conv.Retry(h.w.ctx); err != nil {
		t.Fatal(err)
	}
	h.idle()
	row.bind(h.w.views[1])
	if row.action.Text != "Retry" {
		t.Fatalf("server error shows %q with %q", row.problem.Text, row.action.Text)
	}
	test.Tap(row.action)
	h.idle()
	if h.shown(1) != "Fine now." || h.w.conv.Len() != 2 {
		t.Errorf("after Retry: %d messages, %q", h.w.conv.Len(), h.shown(1))
	}
}

func TestChatLoggedOutDisablesSending(t *testing.T) {
	statuses := make(chan auth.Status, 1)
	h := newChatHarness(t, func(d *ChatDeps) {
		d.Watch = func(ctx context.Context, _ login.Settings, out chan<- auth.Status) error {
			defer close(out)
			for {
				select {
				case st := <-statuses:
					out <- st
				case <-ctx.Done():
					return nil
				}
			}
		}
	})
	statuses <- auth.Status{State: auth.StateLoggedOut, Message: "Not signed in to Codex. Sign in with `codex login`."}
	h.pump("the login banner", func() bool { return h.w.loginBox.Visible() && h.w.sendBtn.Disabled() })
	if !strings.Contains(h.w.loginLabel.Text, "Not signed in") {
		t.Errorf("banner %q", h.w.loginLabel.Text)
	}
	h.typeAndEnter("anyone?")
	if h.w.conv.Len() != 0 {
		t.Error("sent while logged out")
	}
	statuses <- auth.Status{State: auth.StateValid}
	h.pump("sending back on", func() bool { return !h.w.loginBox.Visible() && !h.w.sendBtn.Disabled() })
}

func TestChatGoldenWithCodeBlockAndThumbnail(t *testing.T) {
	h := newChatHarness(t)
	h.srv.Enqueue(chatAnswer("Here is **Go**:\n\n```go\nfmt.Println(\"hi\")\n```\n\nThat prints *hi*."))
	h.typeAndEnter("Show me Go")
	h.idle()
	dir := t.TempDir()
	p := filepath.Join(dir, "shot.png")
	writePNG(t, p, 32, 32)
	h.w.load([]string{p})
	h.pump("the thumbnail, and the list kept at the end", func() bool {
		return len(h.w.thumbs.Objects) == 1 && h.w.listSize == h.w.list.Size()
	})
	// The code block got its own block with a Copy button that copies it.
	v := h.w.views[1]
	if len(v.blocks) != 3 || !v.blocks[1].code || v.blocks[1].text != `fmt.Println("hi")` {
		t.Fatalf("blocks %+v", v.blocks)
	}
	test.AssertRendersToMarkup(t, "chat/window.xml", h.w.win.Canvas())
	if dir := os.Getenv("CODEXTRAY_TEST_ARTIFACTS"); dir != "" {
		var b bytes.Buffer
		_ = png.Encode(&b, h.w.win.Canvas().Capture())
		_ = os.WriteFile(filepath.Join(dir, "chat-test-canvas.png"), b.Bytes(), 0o644)
	}
}

// conversationOnly drops the developer message (the system prompt) that
// starts every ChatGPT request, as Codex 0.171 sends it.
func conversationOnly(in []provider.Item) []provider.Item {
	for len(in) > 0 && in[0].Role == "developer" {
		in = in[1:]
	}
	return in
}
