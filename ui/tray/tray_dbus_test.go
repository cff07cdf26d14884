package tray

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/codextray/codextray/core/appdata"
)

// The tray tests run the real app in a child process (this test binary, in
// helper mode) because Fyne must own the main goroutine. The helper wires
// the real login service on the CODEX_HOME it is given, as main does, and
// the tests read the tray item back over D-Bus from a real
// StatusNotifierWatcher, as a desktop would, and change auth.json on disk.

func TestTrayOverDBus(t *testing.T) {
	e := newTrayEnv(t)
	e.startWatcher(t)
	if host, err := exec.LookPath("gtk-sni-tray-standalone"); err == nil {
		startProcess(t, exec.Command(host))
	}

	e.writeLogin(t, 10*24*time.Hour)
	exited := e.startApp(t)
	item := trayItem(t, e.conn)
	menuObj := menuOf(t, e.conn, item)

	var layout menuNode
	waitFor(t, "the account and token lines in the tray menu", func() bool {
		layout = getLayout(t, menuObj)
		return layout.find("ada@example.com · Plus") != nil && layout.findPrefix("Token valid · expires in 9 d") != nil
	})
	if st := layout.find("ada@example.com · Plus"); st.enabled() {
		t.Error("the account line is enabled; want a disabled label")
	}
	waitFor(t, "the usage lines and the Models submenu", func() bool {
		layout = getLayout(t, menuObj)
		return layout.findPrefix("5 h: 42 % used · resets ") != nil && layout.find("GPT-5.2 Codex") != nil
	})
	if m := layout.find("GPT-5.2 Codex"); m.props["toggle-state"].Value() != int32(1) {
		t.Errorf("the default model is not checked: %v", m.props)
	}
	for _, want := range []string{"Open Chat", "Status…", "Refresh now", "Sign in again…", "Settings…", "Quit"} {
		if layout.find(want) == nil {
			t.Errorf("no %q in the tray menu: %s", want, layout)
		}
	}
	waitFor(t, "the account in the tooltip", func() bool {
		return strings.Contains(tooltipText(t, item), "ada@example.com · Plus · Token valid")
	})
	validIcon := iconPixmap(t, item)

	// Codex's login nears expiry: the menu follows within a second, the
	// token line changed in place (the same item: a menu of the same shape
	// is never taken apart, so it is whole whenever it is read).
	tokenID := getLayout(t, menuObj).findPrefix("Token valid · expires in 9 d").id
	e.writeLogin(t, 3*time.Hour)
	followed(t, "the expiring token line", func() bool {
		return getLayout(t, menuObj).findPrefix("Token expires in 2 h") != nil
	})
	if l := getLayout(t, menuObj); l.findPrefix("Token expires in 2 h").id != tokenID {
		t.Errorf("the token line was made anew (item %d, was %d): the menu was rebuilt for a change of words: %s",
			l.findPrefix("Token expires in 2 h").id, tokenID, l)
	}
	waitFor(t, "the icon to change with the state", func() bool {
		return !bytes.Equal(iconPixmap(t, item), validIcon)
	})

	// Signed out with `codex logout`: auth.json is removed.
	e.removeLogin(t)
	followed(t, "the signed-out line", func() bool {
		return getLayout(t, menuObj).find("Not signed in to Codex") != nil
	})

	// Back in: the status window shows it; keep a screenshot of it with the
	// tray host as an artifact.
	e.writeLogin(t, 5*24*time.Hour)
	followed(t, "the signed-in line", func() bool {
		layout = getLayout(t, menuObj)
		return layout.find("ada@example.com · Plus") != nil
	})
	// A sign-in fetches the usage again, and the menu is rebuilt when it
	// arrives: click once the menu is whole, as a user would see it.
	waitFor(t, "the usage lines back after the sign-in", func() bool {
		return getLayout(t, menuObj).findPrefix("5 h: 42 % used · resets ") != nil
	})
	clickForWindow(t, menuObj, "Status…", "Codex Tray — Status")
	if _, err := exec.LookPath("import"); err == nil {
		shot := filepath.Join(artifactDir(t), "tray-host-status-window.png")
		// The window is mapped before it is drawn: shoot until it shows.
		waitFor(t, "the status window drawn on screen", func() bool {
			out, err := exec.Command("import", "-window", "root", shot).CombinedOutput()
			if err != nil {
				t.Fatalf("screenshot: %v\n%s", err, out)
			}
			return litPixels(t, shot) > 20000
		})
		t.Logf("screenshot of the tray host with the status window: %s", shot)
	}

	// The windows live in the window host, which goes once the last one
	// is closed: the idle tray holds no GUI toolkit.
	if !e.hostRunning() {
		t.Error("no window host while the status window is open")
	}
	closeWindow(t, "Codex Tray — Status")
	waitFor(t, "the window host to exit after its last window closed", func() bool { return !e.hostRunning() })

	// A left click on the icon opens the chat, in a new window host.
	if call := item.Call(itemInterface+".Activate", 0, int32(0), int32(0)); call.Err != nil {
		t.Fatalf("Activate: %v", call.Err)
	}
	waitWindow(t, "Chat — Codex Tray")
	closeWindow(t, "Chat — Codex Tray")
	waitFor(t, "the window host to exit after the chat closed", func() bool { return !e.hostRunning() })

	// The Settings window's choice of model (Fyne's preferences.json,
	// written by the window host) shows in the tray's menu.
	e.writePrefs(t, `{"default_model":"gpt-5.1-mini"}`)
	waitFor(t, "the model chosen in Settings checked in the menu", func() bool {
		m := getLayout(t, menuObj).find("GPT-5.1 Mini")
		return m != nil && m.props["toggle-state"].Value() == int32(1)
	})
	// And a model chosen in the menu is what the Settings window reads.
	click(t, menuObj, getLayout(t, menuObj), "GPT-5.2 Codex")
	prefsFile := filepath.Join(e.configHome, "fyne", appdata.AppID, "preferences.json")
	waitFor(t, "the model chosen in the menu in preferences.json", func() bool {
		raw, _ := os.ReadFile(prefsFile)
		return bytes.Contains(raw, []byte(`"default_model":"gpt-5.2-codex"`))
	})

	// Quit from the tray menu ends the app cleanly.
	clickQuit(t, menuObj)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the app exited with %v after Quit", err)
		}
	case <-time.After(trayTestWithin):
		t.Fatal("the app did not exit after Quit was clicked")
	}
	checkRaceReports(t, e.raceLog)
}

// notification is one Notify call received on the bus.
type notification struct {
	Summary, Body string
	Actions       []string
	ID            uint32
}

// notificationServer owns org.freedesktop.Notifications on the test bus and
// records every Notify call.
type notificationServer struct {
	got chan notification
	id  uint32
}

func (s *notificationServer) Notify(app string, replaces uint32, icon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.id++
	s.got <- notification{summary, body, actions, s.id}
	return s.id, nil
}

func (s *notificationServer) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"body", "actions"}, nil
}

func (s *notificationServer) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "codextray-test", "codextray", "1", "1.2", nil
}

func (s *notificationServer) CloseNotification(id uint32) *dbus.Error { return nil }

func TestNotificationsOverDBus(t *testing.T) {
	e := newTrayEnv(t)
	srv := e.notificationServer(t)
	e.startWatcher(t)
	e.writeLogin(t, 10*24*time.Hour)
	exited := e.startApp(t)
	item := trayItem(t, e.conn)
	expect := func(summaryPrefix, body string) {
		t.Helper()
		select {
		case n := <-srv.got:
			if !strings.HasPrefix(n.Summary, summaryPrefix) || !strings.Contains(n.Body, body) {
				t.Errorf("Notify(%q, %q), want a summary starting %q and a body with %q", n.Summary, n.Body, summaryPrefix, body)
			}
		case <-time.After(trayTestWithin):
			t.Fatalf("no notification %q within %s", summaryPrefix, trayTestWithin)
		}
	}

	e.writeLogin(t, 3*time.Hour)
	expect("Codex login expires in 2 h", "ada@example.com")
	e.removeLogin(t)
	expect("Signed out of Codex", "codex login")
	e.writeLogin(t, 10*24*time.Hour)
	expect("Signed in to Codex", "Signed in as ada@example.com (Plus).")
	// The same state again is no news: a rewrite with a new expiry.
	e.writeLogin(t, 9*24*time.Hour)
	e.removeLogin(t)
	expect("Signed out of Codex", "codex login") // and nothing in between

	// Notifications turned off in the Settings window (the window host
	// writes preferences.json): the tray sends none. The menu shows the
	// model chosen in the same write once the tray has read it.
	e.writeLogin(t, 10*24*time.Hour)
	expect("Signed in to Codex", "Signed in as ada@example.com (Plus).")
	menuObj := menuOf(t, e.conn, item)
	checked := func(name string) func() bool {
		return func() bool {
			m := getLayout(t, menuObj).find(name)
			return m != nil && m.props["toggle-state"].Value() == int32(1)
		}
	}
	e.writePrefs(t, `{"notifications":false,"default_model":"gpt-5.1-mini"}`)
	waitFor(t, "the tray to read notifications off", checked("GPT-5.1 Mini"))
	e.removeLogin(t) // would say "Signed out", and then "Signed in"
	waitFor(t, "the signed-out line", func() bool { return getLayout(t, menuObj).find("Not signed in to Codex") != nil })
	e.writeLogin(t, 10*24*time.Hour)
	waitFor(t, "the signed-in menu", checked("GPT-5.1 Mini"))
	e.writePrefs(t, `{"notifications":true,"default_model":"gpt-5.2-codex"}`)
	waitFor(t, "the tray to read notifications on", checked("GPT-5.2 Codex"))
	// The next notification is this sign-out: none was sent while off.
	e.removeLogin(t)
	expect("Signed out of Codex", "codex login")

	select {
	case err := <-exited:
		t.Fatalf("the app exited early: %v", err)
	default:
	}
	checkRaceReports(t, e.raceLog)
}

// notificationServer owns org.freedesktop.Notifications on the test's bus.
func (e *trayEnv) notificationServer(t *testing.T) *notificationServer {
	t.Helper()
	if hasOwner(t, e.conn, notifyName) {
		t.Fatal("this bus already has a notification daemon (a real desktop's?): the test needs a bus of its own; run under packaging/linux/test-session.sh")
	}
	srv := &notificationServer{got: make(chan notification, 16)}
	if err := e.conn.Export(srv, "/org/freedesktop/Notifications", notifyName); err != nil {
		t.Fatal(err)
	}
	if reply, err := e.conn.RequestName(notifyName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning %s: %v (reply %v)", notifyName, err, reply)
	}
	t.Cleanup(func() { _, _ = e.conn.ReleaseName(notifyName) })
	return srv
}

// A window host that cannot start (a broken install, no OpenGL) is given up
// on after a few tries, and the tray says why in a notification: no window
// can.
func TestBrokenWindowHostIsReported(t *testing.T) {
	e := newTrayEnv(t)
	srv := e.notificationServer(t)
	e.startWatcher(t)
	e.writeLogin(t, 10*24*time.Hour)
	e.brokenHost = true
	e.startApp(t)
	item := trayItem(t, e.conn)
	if call := item.Call(itemInterface+".Activate", 0, int32(0), int32(0)); call.Err != nil {
		t.Fatalf("Activate: %v", call.Err)
	}
	deadline := time.After(trayTestWithin)
	for {
		select {
		case n := <-srv.got:
			if n.Summary != "Codex Tray could not open its window" {
				continue // the login's own notifications
			}
			if !strings.Contains(n.Body, "kept exiting") || !strings.Contains(n.Body, "no OpenGL here") {
				t.Errorf("the notification does not say why: %q", n.Body)
			}
			return
		case <-deadline:
			t.Fatal("no notification that the window could not open")
		}
	}
}

// The window host shows a notification the tray hands it (as on macOS and
// Windows), answers, and exits with nothing open once the OS had time to
// take it.
func TestWindowHostShowsANotificationAndExits(t *testing.T) {
	e := newTrayEnv(t)
	srv := e.notificationServer(t)
	host := exec.Command(os.Args[0], "-test.run=^$")
	host.Env = append(os.Environ(), trayHelperEnv+"=host", "CODEX_HOME="+e.codexHome,
		"XDG_CONFIG_HOME="+e.configHome, "XDG_DATA_HOME="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir())
	in, err := host.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	answers := make(chan string, 4)
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			answers <- sc.Text()
		}
		exited <- host.Wait()
	}()
	t.Cleanup(func() { _ = host.Process.Kill() })
	if _, err := fmt.Fprintln(in, `{"seq":7,"notify":{"title":"Codex login expires in 2 h","body":"for ada@example.com"}}`); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-srv.got:
		if n.Summary != "Codex login expires in 2 h" || n.Body != "for ada@example.com" {
			t.Errorf("Notify(%q, %q)", n.Summary, n.Body)
		}
	case <-time.After(trayTestWithin):
		t.Fatal("the window host showed no notification")
	}
	select {
	case a := <-answers:
		if a != "done 7" {
			t.Errorf("the window host answered %q, want done 7", a)
		}
	case <-time.After(trayTestWithin):
		t.Fatal("the window host did not answer")
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the window host exited with %v", err)
		}
	case <-time.After(trayTestWithin):
		t.Fatal("the window host did not exit with nothing open")
	}
}
