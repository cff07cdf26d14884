package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/codextray/codextray/internal/xtest"
)

// idleWindow is how long each idle phase lasts: 60 s, or
// $CODEXTRAY_BENCH_IDLE_SECONDS for a quicker look.
func idleWindow() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("CODEXTRAY_BENCH_IDLE_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return time.Minute
}

// idleSettle is how long the app is left alone before a phase is measured:
// its start (first backend fetch, keychain mirror) is not idling.
const idleSettle = 5 * time.Second

// BenchmarkIdle measures the real app under /usr/bin/time -v with the tray
// host: CPU time over a quiet minute and peak RSS with no window ever
// opened; then the same after the chat window was opened from the tray
// (Activate, a left click) and closed (WM_DELETE_WINDOW, the title bar's
// close button). Every figure counts the app and the processes it started
// (its window host). RSS counts the program's code pages too (file-backed,
// shared, dropped by the kernel under pressure), which grow with every
// code path a process runs; the -anon-MB figures are its private memory
// alone (RssAnon). The floors it is compared with are cmd/baretray: a bare
// Fyne tray (what any Fyne tray app costs) and a bare fyne.io/systray item
// (no Fyne driver, no OpenGL context). Each program is dropped from the
// page cache before it starts (dropCached), so every run measures a start
// that reads it from disk, whether or not it was just built.
func BenchmarkIdle(b *testing.B) {
	s := newTraySession(b)
	b.Run("app=codextray", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			dropCached(b, s.bin)
			a, item := s.startIdle(b)
			s.idlePhase(b, a, "idle")

			if call := itemObject(s.conn, item).Call(itemIface+".Activate", 0, int32(0), int32(0)); call.Err != nil {
				b.Fatalf("Activate: %v", call.Err)
			}
			var win xtest.Window
			opened := time.Now()
			waitUntil(b, 60*time.Second, "the chat window", func() bool { win = findChatWindow(); return win != 0 })
			b.ReportMetric(float64(time.Since(opened).Milliseconds()), "chat-open-ms")
			b.ReportMetric(a.memKB(b, "VmHWM")/1024, "chat-open-peak-rss-MB")
			b.ReportMetric(a.memKB(b, "RssAnon")/1024, "chat-open-anon-MB")
			closeWindow(b, win)
			closed := time.Now()
			waitUntil(b, 30*time.Second, "the chat window to close", func() bool { return !windowMapped(win) })
			// The window host exits once no window is open.
			waitUntil(b, 30*time.Second, "the window host to exit", func() bool { return len(descendants(a.pid)) == 0 })
			b.ReportMetric(float64(time.Since(closed).Milliseconds()), "host-exit-ms")
			a.resetPeak(b)
			s.idlePhase(b, a, "closed")

			s.stop(b, a)
			// The whole process, as /usr/bin/time -v saw it.
			if kb, ok := a.timeV("Maximum resident set size (kbytes)"); ok {
				b.ReportMetric(kb/1024, "whole-peak-rss-MB")
			}
		}
	})
	bare := filepath.Join(b.TempDir(), "baretray")
	build := exec.Command(goCmd(), "build", "-tags", buildTags(), "-o", bare, "./cmd/baretray")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building cmd/baretray: %v\n%s", err, out)
	}
	for _, tk := range []string{"fyne", "systray"} {
		b.Run("app=bare-"+tk, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				dropCached(b, bare)
				a, _ := s.startIdle(b, bare, "-toolkit", tk)
				s.idlePhase(b, a, "idle")
				s.stop(b, a)
			}
		})
	}
}

// startIdle starts the app (or argv) under /usr/bin/time and waits for its
// tray item.
func (s *traySession) startIdle(b *testing.B, argv ...string) (*app, string) {
	b.Helper()
	a := s.start(b, true, argv...)
	var item string
	waitUntil(b, 30*time.Second, "the tray item", func() bool {
		if items := registeredItems(s.conn); len(items) == 1 {
			item = items[0]
		}
		return item != ""
	})
	return a, item
}

// idlePhase leaves the app alone for idleSettle, then measures its CPU
// time over idleWindow and its peak and current RSS at the end.
func (s *traySession) idlePhase(b *testing.B, a *app, name string) {
	b.Helper()
	window := idleWindow()
	time.Sleep(idleSettle)
	cpu0 := a.cpu(b)
	time.Sleep(window)
	b.ReportMetric((a.cpu(b)-cpu0).Seconds()*float64(time.Minute)/float64(window), name+"-cpu-s/min")
	b.ReportMetric(a.memKB(b, "VmHWM")/1024, name+"-peak-rss-MB")
	b.ReportMetric(a.memKB(b, "VmRSS")/1024, name+"-rss-MB")
	b.ReportMetric(a.memKB(b, "RssAnon")/1024, name+"-anon-MB")
}

func goCmd() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// buildTags are the app's build tags ($TAGS, as the Makefile sets them).
func buildTags() string {
	if t := os.Getenv("TAGS"); t != "" {
		return t
	}
	return "migrated_fynedo"
}

// chatTitle matches the chat window's title (the placeholder's and the
// chat window's).
var chatTitle = regexp.MustCompile(`^(Codex Tray — Chat|Chat — Codex Tray)$`)

// findChatWindow returns the shown top-level chat window, 0 when none.
func findChatWindow() xtest.Window {
	w, _ := xtest.Find(func(title string) bool { return chatTitle.MatchString(title) })
	return w
}

// windowMapped says whether w exists and is shown.
func windowMapped(w xtest.Window) bool { return xtest.Shown(w) }

// closeWindow asks w to close as a window manager's close button does.
func closeWindow(b *testing.B, w xtest.Window) {
	b.Helper()
	if err := xtest.Close(w); err != nil {
		b.Fatal(err)
	}
}
