package chatwin

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
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/provider"
	pt "github.com/codextray/codextray/core/provider/providertest"
	"github.com/codextray/codextray/ui/view"
	"github.com/codextray/codextray/ui/view/viewtest"
)

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
	if !h.w.meters.Visible() || h.w.meterBars[1].Value != 93 || !h.w.warn.Visible() || !strings.Contains(h.w.warn.Text, "Week window 93 % used") {
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
	h := newChatHarness(t, func(d *Deps) { d.Stream = gated(events) })
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
	h := newChatHarness(t, func(d *Deps) { d.SignIn = func() error { signedIn <- struct{}{}; return nil } })
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
	h := newChatHarness(t)
	v := view.State{HaveStatus: true, Status: auth.Status{State: auth.StateLoggedOut, Message: "Not signed in to Codex. Sign in with `codex login`."}}
	h.w.Update(v)
	h.pump("the login banner", func() bool { return h.w.loginBox.Visible() && h.w.sendBtn.Disabled() })
	if !strings.Contains(h.w.loginLabel.Text, "Not signed in") {
		t.Errorf("banner %q", h.w.loginLabel.Text)
	}
	h.typeAndEnter("anyone?")
	if h.w.conv.Len() != 0 {
		t.Error("sent while logged out")
	}
	v.Status = auth.Status{State: auth.StateValid}
	h.w.Update(v)
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

// The chat's meters write the usage windows as the tray menu and the
// status window do (viewtest.UsageLines), in 24 h and 12 h locales alike,
// the weekly one with its reset time too.
func TestChatMetersMatchEveryView(t *testing.T) {
	for _, hour12 := range []bool{false, true} {
		// The pacer draws on its own goroutine: every draw, and the reading
		// of the meters, goes through one lock, as fyne.Do would serialise them.
		var mu sync.Mutex
		post := func(f func()) { mu.Lock(); defer mu.Unlock(); f() }
		var w *Window
		post(func() { w = newWindow(test.NewTempApp(t), Deps{}, post) })
		w.Update(viewtest.StateIn(hour12))
		post(w.draw)
		var got []string
		post(func() {
			for _, o := range w.meters.Objects {
				got = append(got, o.(*widget.ProgressBar).TextFormatter())
			}
		})
		if want := viewtest.UsageLines[hour12]; strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("12 h %v: meters %q, want %q", hour12, got, want)
		}
		w.Close()
	}
}
