// Package xvfb tests the chat window as a real window on an X server
// (Xvfb, see packaging/linux/test-session.sh): the test binary runs itself
// as a helper process showing the window against the fake backend, types
// into it with xdotool, presses Enter and keeps a screenshot of the
// streamed answer. It has its own TestMain, apart from ui's.
package xvfb

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/history"
	"github.com/codextray/codextray/core/provider"
	pt "github.com/codextray/codextray/core/provider/providertest"
	"github.com/codextray/codextray/ui/chatwin"
	"github.com/codextray/codextray/ui/control"
	"github.com/codextray/codextray/ui/view"
)

const (
	helperEnv = "CODEXTRAY_CHAT_XVFB_HELPER"
	baseEnv   = "CODEXTRAY_CHAT_XVFB_BASE"
	imageEnv  = "CODEXTRAY_CHAT_XVFB_IMAGE"
	gapEnv    = "CODEXTRAY_CHAT_XVFB_GAP"
	histEnv   = "CODEXTRAY_CHAT_XVFB_HISTORY"
	token     = "xvfb-chat-token"
	title     = "Chat — Codex Tray"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		runHelper()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// pacedStream delivers events no faster than one per gap, as tokens
// arrive from the real backend, and says on stdout when the turn ended.
type pacedStream struct {
	chat.Stream
	gap  time.Duration
	last time.Time
}

func (s *pacedStream) Next() bool {
	if d := s.gap - time.Since(s.last); d > 0 {
		time.Sleep(d) // the network's pace, not a wait for the UI
	}
	s.last = time.Now()
	ok := s.Stream.Next()
	if !ok {
		say("streamed")
	}
	return ok
}

func say(line string) { _, _ = os.Stdout.WriteString("chatxvfb: " + line + "\n") }

// runHelper shows the chat window against the fake backend at $baseEnv and
// runs until SIGTERM, then prints the drawing figures as JSON.
func runHelper() {
	sigs := make(chan os.Signal, 2) // before the window can be found and signalled
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGUSR1)
	a := app.NewWithID(appdata.AppID + ".chattest")
	a.Preferences().SetString(appdata.PrefDefaultModel, "gpt-5.5")
	a.Preferences().SetFloat("chat_width", 900)
	a.Preferences().SetFloat("chat_height", 720)
	c := provider.New(provider.Options{
		Credentials: provider.StaticSource{Credentials: provider.Credentials{
			Mode: provider.ModeChatGPT, Token: auth.NewSecret(token), AccountID: authtest.AccountID}},
		ChatGPTBaseURL: os.Getenv(baseEnv) + "/backend-api", AppVersion: "0.1.0-xvfb", MaxRetries: -1, CacheDir: "-",
	})
	gap, _ := time.ParseDuration(os.Getenv(gapEnv))
	stream := chat.ClientStream(c)
	deps := chatwin.Deps{
		Stream: func(ctx context.Context, r provider.TurnRequest) (chat.Stream, error) {
			s, err := stream(ctx, r)
			if err != nil {
				return nil, err
			}
			return &pacedStream{Stream: s, gap: gap}, nil
		},
		LoadFile: chat.LoadFile,
	}
	if p := os.Getenv(histEnv); p != "" {
		deps.OpenHistory = func(ctx context.Context) (chatwin.History, error) { return chat.OpenHistory(ctx, p) }
	}
	w := chatwin.New(a, deps)
	w.Show()
	// The window host's State brings the models, as its controller
	// fetched them from the backend.
	go func() {
		if l, err := control.ProviderBackend(c).Models(context.Background()); err == nil {
			w.Update(view.State{Models: &l})
		}
	}()
	if p := os.Getenv(imageEnv); p != "" {
		w.Attach(p)
	}
	go func() {
		for s := range sigs {
			var st chatwin.Stats
			fyne.DoAndWait(func() { st = w.DrawStats() })
			if s == syscall.SIGUSR1 { // asked whether the answer is on screen
				b, _ := json.Marshal(st)
				say("stats " + string(b))
				continue
			}
			b, _ := json.Marshal(st)
			say("final " + string(b))
			fyne.Do(a.Quit)
			return
		}
	}()
	a.Run()
}

func need(t *testing.T, cmds ...string) {
	t.Helper()
	if os.Getenv("DISPLAY") == "" {
		t.Skip("no DISPLAY: run under packaging/linux/test-session.sh (make test)")
	}
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s not installed (packaging/linux/build-deps.sh test)", c)
		}
	}
}

// lines forwards the helper's "chatxvfb:" lines.
func lines(r io.Reader) <-chan string {
	out := make(chan string, 64)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), "chatxvfb: "); ok {
				out <- l
			}
		}
	}()
	return out
}

func expect(t *testing.T, from <-chan string, prefix string, d time.Duration) string {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case l, ok := <-from:
			if !ok {
				t.Fatalf("the helper ended before %q", prefix)
			}
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				return strings.TrimSpace(rest)
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %q from the helper", prefix)
		}
	}
}

func xdo(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("xdotool", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("xdotool %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// findWindow polls until the chat window is mapped.
func findWindow(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := exec.Command("xdotool", "search", "--onlyvisible", "--name", title).Output()
		if ids := strings.Fields(string(out)); err == nil && len(ids) > 0 {
			return ids[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("the chat window never appeared")
		}
		time.Sleep(50 * time.Millisecond) // polling the X server, with a deadline
	}
}

const answerMD = "## Hello, world in Go\n\n" +
	"Here is the **smallest** complete program, with the *standard* library only:\n\n" +
	"```go\npackage main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"Hello, world\")\n}\n```\n\n" +
	"To run it:\n\n1. Save it as `main.go`.\n2. Run `go run main.go`.\n3. Read more at [go.dev](https://go.dev/doc/).\n\n" +
	"The picture you sent is a colour gradient."

func TestChatInARealWindow(t *testing.T) {
	runRealWindow(t, "", "CODEXTRAY_CHAT_SCREENSHOT")
}

// TestChatHistoryInARealWindow is the same turn with saved conversations in
// the sidebar; the new one joins them at the top.
func TestChatHistoryInARealWindow(t *testing.T) {
	need(t, "xdotool", "import")
	db := filepath.Join(t.TempDir(), "history.db")
	st, err := history.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"Why is the sky blue?", "Explain Go channels with an example",
		"Write a haiku about autumn", "How do I reverse a slice in Go?", "Compare SQLite WAL and rollback journal"} {
		id, _ := st.StartConversation(context.Background(), q, "")
		_, _ = st.AddMessage(context.Background(), history.Message{ConversationID: id, Role: "user", Text: q})
		_, _ = st.AddMessage(context.Background(), history.Message{ConversationID: id, Role: "assistant", Text: "An answer."})
	}
	st.Close()
	runRealWindow(t, db, "CODEXTRAY_CHAT_HISTORY_SCREENSHOT")
}

func runRealWindow(t *testing.T, historyDB, shotEnv string) {
	need(t, "xdotool", "import")
	srv := pt.New(t, token)
	srv.ExpectAccountID(authtest.AccountID)
	srv.SetModels(pt.Fixture(t, "models.json"), `"x1"`)
	srv.SetUsage([]byte(`{"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,
		"primary_window":{"used_percent":23,"limit_window_seconds":18000},
		"secondary_window":{"used_percent":61,"limit_window_seconds":604800}}}`), nil)
	ev := []map[string]any{pt.Created("resp_x"), pt.ReasoningDelta(0, "**Choosing an example**\n\n"),
		pt.ReasoningDelta(0, "A hello-world program shows the package, the import and main."),
		pt.ReasoningDone([]string{"A hello-world program."}, "enc-xvfb")}
	for _, w := range strings.SplitAfter(answerMD, " ") {
		ev = append(ev, pt.TextDelta(w))
	}
	ev = append(ev, pt.MessageDone(answerMD), pt.Completed("resp_x", pt.Usage{Input: 2890, Cached: 1024, Output: 212, Reasoning: 64}))
	var chunks []string
	for _, e := range ev {
		chunks = append(chunks, pt.Record(e))
	}
	srv.Enqueue(pt.Reply{Chunks: chunks})

	dir := t.TempDir()
	imgPath := filepath.Join(dir, "gradient.png")
	writeGradient(t, imgPath)
	home := filepath.Join(dir, "home")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", baseEnv+"="+srv.URL, imageEnv+"="+imgPath, gapEnv+"=8ms",
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"), histEnv+"="+historyDB)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{}) // closed when the helper has ended
	from := lines(stdout)
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("helper stderr:\n%s", stderr.String())
		}
	})

	wid := findWindow(t)
	var st chatwin.Stats
	for i := 0; st.Attached != 1; i++ { // the image is read and fitted in the background
		if i > 200 {
			t.Fatalf("the image was never attached: %+v", st)
		}
		_ = cmd.Process.Signal(syscall.SIGUSR1)
		_ = json.Unmarshal([]byte(expect(t, from, "stats", 10*time.Second)), &st)
	}
	xdo(t, "windowfocus", "--sync", wid)
	const prompt = "Show me a hello world in Go"
	xdo(t, "type", "--delay", "15", prompt)
	xdo(t, "key", "Return")

	// The request carries what was typed, with the image.
	deadline := time.Now().Add(20 * time.Second)
	for len(srv.RequestsTo("/codex/responses")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no request reached the backend")
		}
		time.Sleep(20 * time.Millisecond) // polling the fake backend, with a deadline
	}
	var body struct{ Input []provider.Item }
	_ = json.Unmarshal(srv.RequestsTo("/codex/responses")[0].Body, &body)
	for len(body.Input) > 0 && body.Input[0].Role == "developer" {
		body.Input = body.Input[1:] // the system prompt, as Codex 0.171 sends it
	}
	if len(body.Input) != 1 || body.Input[0].Text() != prompt || len(body.Input[0].Content) != 2 ||
		body.Input[0].Content[1].Type != provider.ContentInputImage {
		t.Fatalf("request input %+v", body.Input)
	}

	expect(t, from, "streamed", 30*time.Second)
	// Ask until the last change is drawn.
	for i := 0; ; i++ {
		_ = cmd.Process.Signal(syscall.SIGUSR1)
		_ = json.Unmarshal([]byte(expect(t, from, "stats", 10*time.Second)), &st)
		if !st.Busy && !st.Pending && st.Messages == 2 {
			break
		}
		if i > 200 {
			t.Fatalf("the answer never finished drawing: %+v", st)
		}
	}
	// One more round trip through the event loop, so the frame is painted.
	_ = cmd.Process.Signal(syscall.SIGUSR1)
	expect(t, from, "stats", 10*time.Second)

	shots := os.Getenv("CODEXTRAY_TEST_ARTIFACTS")
	if shots == "" {
		shots = t.TempDir()
	}
	root := filepath.Join(shots, "chat-xvfb-root.png")
	if out, err := exec.Command("import", "-window", "root", root).CombinedOutput(); err != nil {
		t.Fatalf("import: %v: %s", err, out)
	}
	win := filepath.Join(shots, "chat-xvfb-window.png")
	if out, err := exec.Command("import", "-window", wid, win).CombinedOutput(); err != nil {
		t.Fatalf("import: %v: %s", err, out)
	}
	checkNotBlank(t, win)
	if dst := os.Getenv(shotEnv); dst != "" {
		data, _ := os.ReadFile(win)
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots: %s, %s", root, win)

	_ = cmd.Process.Signal(syscall.SIGTERM)
	final := expect(t, from, "final", 10*time.Second)
	if err := json.Unmarshal([]byte(final), &st); err != nil {
		t.Fatalf("figures %q: %v", final, err)
	}
	t.Logf("drawing: %d draws for %d message changes; delta to widget p50 %v, p95 %v, max %v; %d frames skipped",
		st.Draws, st.Changes, st.LatencyP50, st.LatencyP95, st.LatencyMax, st.FramesSkipped)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Error("the helper did not quit")
	}
}

func writeGradient(t *testing.T, path string) {
	img := image.NewNRGBA(image.Rect(0, 0, 480, 320))
	for y := 0; y < 320; y++ {
		for x := 0; x < 480; x++ {
			img.Set(x, y, color.NRGBA{uint8(60 + x*190/480), uint8(90 + y*120/320), 200, 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkNotBlank fails when the screenshot is one flat colour.
func checkNotBlank(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	colours := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}] = true
		}
	}
	if len(colours) < 20 {
		t.Errorf("screenshot %s has only %d colours: blank window?", path, len(colours))
	}
}
