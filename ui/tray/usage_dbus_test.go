package tray

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/login"
	pt "github.com/codextray/codextray/core/provider/providertest"
	"github.com/codextray/codextray/core/usage"
	"github.com/codextray/codextray/internal/xtest"
)

// trayUsageEnv makes the tray helper run a usage monitor against the fake
// backend at CODEXTRAY_CHATGPT_BASE_URL, as main wires it.
const trayUsageEnv = "CODEXTRAY_TEST_TRAY_USAGE"

// testUsageMonitor is main's newUsageMonitor for the helper app.
func testUsageMonitor(svc *login.Service) func() *usage.Monitor {
	var once sync.Once
	var m *usage.Monitor
	return func() *usage.Monitor {
		once.Do(func() {
			c, err := svc.Backend("test")
			if err != nil {
				fmt.Fprintln(os.Stderr, "tray helper: no backend:", err)
				return
			}
			m = &usage.Monitor{Source: c}
			if st, err := usage.Open(context.Background(), filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "fyne", appdata.AppID, "usage.db")); err == nil {
				m.Store = st
			} else {
				fmt.Fprintln(os.Stderr, "tray helper: no usage history:", err)
			}
		})
		return m
	}
}

// seedUsageHistory writes a week of readings every 15 minutes as the tray
// takes them: 5 h periods that fill while the user works (9:00–19:00) and
// reset, the current one at 85 % now; the week that reset four days ago at
// 62 % and is at 30 % now.
func seedUsageHistory(t *testing.T, configHome string, now, reset5h, resetWeek time.Time) {
	t.Helper()
	st, err := usage.Open(context.Background(), filepath.Join(configHome, "fyne", appdata.AppID, "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := now.Add(-7 * 24 * time.Hour)
	lastWeek := resetWeek.Add(-7 * 24 * time.Hour)
	for at := start; at.Before(now.Add(-time.Minute)); at = at.Add(15 * time.Minute) {
		periods := int(reset5h.Sub(at) / (5 * time.Hour))
		end := reset5h.Add(-time.Duration(periods) * 5 * time.Hour)
		begin := end.Add(-5 * time.Hour)
		var used5 float64
		switch {
		case periods == 0:
			used5 = 85 * float64(at.Sub(begin)) / float64(now.Sub(begin))
		case begin.Local().Hour() >= 8 && begin.Local().Hour() < 19:
			peak := float64(40 + (periods*37)%55)
			used5 = peak * float64(at.Sub(begin)) / float64(5*time.Hour)
		}
		week, weekReset := 30*float64(at.Sub(lastWeek))/float64(now.Sub(lastWeek)), resetWeek
		if at.Before(lastWeek) {
			week, weekReset = 62*float64(at.Sub(lastWeek.Add(-7*24*time.Hour)))/float64(7*24*time.Hour), lastWeek
		}
		if err := st.Record(context.Background(), at, []usage.Window{
			{Key: "codex/5h", Label: "5 h", Minutes: 300, UsedPercent: used5, ResetsAt: end},
			{Key: "codex/week", Label: "Week", Minutes: 10080, UsedPercent: week, ResetsAt: weekReset},
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// The tray's usage lines, its notifications, and the status window's
// usage panel, with the real tray over D-Bus and the window host under
// Xvfb, the usage read from the fake backend.
func TestUsageInTrayOverDBus(t *testing.T) {
	e := newTrayEnv(t)
	notes := e.notificationServer(t)
	e.startWatcher(t)
	if host, err := exec.LookPath("gtk-sni-tray-standalone"); err == nil {
		startProcess(t, exec.Command(host))
	}
	srv := pt.New(t, "")
	now := time.Now()
	reset5h := now.Add(2*time.Hour + 14*time.Minute).Truncate(time.Second)
	resetWeek := now.Add(3*24*time.Hour + 5*time.Hour).Truncate(time.Second)
	srv.SetUsage(fmt.Appendf(nil, `{"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,
		"primary_window":{"used_percent":85,"limit_window_seconds":18000,"reset_at":%d},
		"secondary_window":{"used_percent":30,"limit_window_seconds":604800,"reset_at":%d}},
		"rate_limit_reset_credits":{"available_count":2}}`, reset5h.Unix(), resetWeek.Unix()), nil)
	srv.SetResetCredits([]pt.ResetCredit{
		{ID: "rc_launch", Title: "Launch week thank-you", ExpiresAt: now.Add(20 * time.Hour)},
		{ID: "rc_support", Title: "Support goodwill"}}, "5 h", "week")
	seedUsageHistory(t, e.configHome, now, reset5h, resetWeek)
	e.extraEnv = []string{trayUsageEnv + "=1", "CODEXTRAY_CHATGPT_BASE_URL=" + srv.ChatGPTBaseURL}

	e.writeLogin(t, 10*24*time.Hour)
	exited := e.startApp(t)
	item := trayItem(t, e.conn)
	menuObj := menuOf(t, e.conn, item)
	var layout menuNode
	waitFor(t, "the usage lines with pace and credits in the tray menu", func() bool {
		layout = getLayout(t, menuObj)
		return layout.findPrefix("5 h: 85 % used · resets ") != nil && layout.findPrefix("Reset credits: 2 · next expires ") != nil
	})
	five := layout.findPrefix("5 h: 85 % used · resets ").label()
	if !strings.Contains(five, " · runs out in ") {
		t.Errorf("no pace in %q", five)
	}
	if w := layout.findPrefix("Week: 30 % used · resets "); w == nil || strings.Contains(w.label(), "runs out") {
		t.Errorf("the week's line: %v", w)
	}

	// The 5 h window is above 80 % and a credit expires within a day: one
	// notification each, once.
	got := map[string]string{}
	for len(got) < 2 {
		select {
		case n := <-notes.got:
			got[n.Summary] = n.Body
		case <-time.After(trayTestWithin):
			t.Fatalf("notifications so far: %v", got)
		}
	}
	if body, ok := got["Codex 5 h window above 80 %"]; !ok || !strings.HasPrefix(body, "85 % of the Codex 5 h window is used. It resets at ") {
		t.Errorf("no threshold notification: %v", got)
	}
	if body, ok := got["A reset credit expires in 19 h 59 min"]; !ok && !strings.Contains(fmt.Sprint(got), "A reset credit expires in 20 h") || ok && !strings.Contains(body, "codextray usage redeem") {
		t.Errorf("no credit notification: %v", got)
	}

	clickForWindow(t, menuObj, "Status…", "Codex Tray — Status")
	shot := filepath.Join(artifactDir(t), "status-usage.png")
	waitFor(t, "the status window with its charts drawn", func() bool {
		win, err := xtest.Titled("Codex Tray — Status")
		if err != nil || !xtest.Shown(win) {
			return false
		}
		out, err := exec.Command("import", "-window", fmt.Sprint(uint32(win)), shot).CombinedOutput()
		if err != nil {
			t.Logf("screenshot: %v %s", err, out)
			return false
		}
		return litPixels(t, shot) > 100000
	})
	t.Logf("screenshot of the status window: %s", shot)

	// Redeem from the window, as a user does: the button (reached with
	// Tab, pressed with space) asks first; "Redeem now" (the one red
	// button) is clicked three times at once; one credit is spent.
	win, err := xtest.Titled("Codex Tray — Status")
	if err != nil {
		t.Fatal(err)
	}
	wid := fmt.Sprint(uint32(win))
	confirm := filepath.Join(artifactDir(t), "status-usage-confirm.png")
	var red image.Rectangle
	_ = exec.Command("xdotool", "windowactivate", "--sync", wid).Run()
	if out, err := exec.Command("xdotool", "key", "--window", wid, "Tab", "space").CombinedOutput(); err != nil {
		t.Fatalf("pressing Tab and space: %v %s", err, out)
	}
	waitFor(t, "the redeem confirmation", func() bool {
		if out, err := exec.Command("import", "-window", wid, confirm).CombinedOutput(); err != nil {
			t.Logf("screenshot: %v %s", err, out)
			return false
		}
		red = redBox(t, confirm)
		return red.Dx() > 40
	})
	if len(srv.RequestsTo("/consume")) != 0 {
		t.Fatal("the first step sent a redeem")
	}
	c := red.Min.Add(red.Size().Div(2))
	t.Logf("Redeem now at %v", red)
	// The backend's windows start again: the window shows them after the
	// answer (the monitor reads at once after a redeem).
	var usageReads atomic.Int32 // when the consume arrived
	srv.OnConsume(func() {
		usageReads.Store(int32(len(srv.RequestsTo("/wham/usage"))))
		srv.SetUsage(fmt.Appendf(nil, `{"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,
		"primary_window":{"used_percent":0,"limit_window_seconds":18000,"reset_at":%d},
		"secondary_window":{"used_percent":0,"limit_window_seconds":604800,"reset_at":%d}},
		"rate_limit_reset_credits":{"available_count":1}}`, now.Add(5*time.Hour).Unix(), now.Add(7*24*time.Hour).Unix()), nil)
	})
	// GLFW takes a click where the pointer was seen moving to.
	for _, args := range [][]string{
		{"mousemove", "--window", wid, fmt.Sprint(c.X - 5), fmt.Sprint(c.Y)},
		{"mousemove", "--window", wid, fmt.Sprint(c.X), fmt.Sprint(c.Y)},
		{"click", "--repeat", "3", "--delay", "40", "1"},
	} {
		if out, err := exec.Command("xdotool", args...).CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v: %v %s", args, err, out)
		}
	}
	waitFor(t, "the redeem at the backend", func() bool { return srv.CreditsSpent() == 1 })
	done := filepath.Join(artifactDir(t), "status-usage-redeemed.png")
	var last []byte
	// Drawn: the first window's line ("5 h: 85 % used · …", near the top)
	// reads otherwise than before the redeem, and the window is still.
	waitFor(t, "the answer and the new usage drawn", func() bool {
		if len(srv.RequestsTo("/wham/usage")) <= int(usageReads.Load()) || exec.Command("import", "-window", wid, done).Run() != nil {
			return false
		}
		b, _ := os.ReadFile(done)
		stable := bytes.Equal(b, last) && redBox(t, done).Dx() == 0 && bandDiffers(t, shot, done, 50, 90)
		last = b
		return stable
	})
	if reqs := srv.RequestsTo("/consume"); len(reqs) != 1 || srv.CreditsSpent() != 1 {
		t.Fatalf("%d consume requests, %v spent", len(reqs), srv.Consumptions())
	}
	// The tray's menu follows: the window host tells it the usage changed,
	// so it reads the usage now rather than at its next poll.
	waitFor(t, "the reset windows in the tray menu", func() bool {
		l := getLayout(t, menuObj)
		return l.findPrefix("5 h: 0 % used · resets ") != nil && l.findPrefix("Week: 0 % used · resets ") != nil
	})

	// The window host goes once its last window is closed: its usage
	// monitor does not keep it.
	closeWindow(t, "Codex Tray — Status")
	waitFor(t, "the window host to exit", func() bool { return !e.hostRunning() })
	// The same with the chat, whose meters and redeem offer use the host's
	// monitor.
	clickForWindow(t, menuObj, "Open Chat", "Chat — Codex Tray")
	closeWindow(t, "Chat — Codex Tray")
	waitFor(t, "the window host to exit after the chat closed", func() bool { return !e.hostRunning() })

	// No notification repeats while the tray polls on.
	select {
	case n := <-notes.got:
		t.Errorf("a second notification: %+v", n)
	case <-time.After(500 * time.Millisecond):
	}
	select {
	case err := <-exited:
		t.Fatalf("the app exited early: %v", err)
	default:
	}
	checkRaceReports(t, e.raceLog)
}

// readShot decodes the screenshot at path; nil while it is still being
// written (not yet a whole PNG).
func readShot(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil
	}
	return img
}

// bandDiffers is whether the rows y0 to y1 of two screenshots differ.
func bandDiffers(t *testing.T, a, b string, y0, y1 int) bool {
	t.Helper()
	ia, ib := readShot(t, a), readShot(t, b)
	if ia == nil || ib == nil {
		return false
	}
	for y := y0; y < y1; y++ {
		for x := ia.Bounds().Min.X; x < min(ia.Bounds().Max.X, ib.Bounds().Max.X); x++ {
			if ia.At(x, y) != ib.At(x, y) {
				return true
			}
		}
	}
	return false
}

// redBox is the bounding box of the strongly red pixels of a screenshot:
// the danger-colored "Redeem now" button.
func redBox(t *testing.T, path string) image.Rectangle {
	t.Helper()
	img := readShot(t, path)
	if img == nil {
		return image.Rectangle{}
	}
	var box image.Rectangle
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 > 180 && g>>8 < 100 && bl>>8 < 100 {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}
