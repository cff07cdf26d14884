package tray

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/ui/chatwin"
	"github.com/codextray/codextray/ui/control"
	"github.com/codextray/codextray/ui/host"
	"github.com/codextray/codextray/ui/view"
	"github.com/codextray/codextray/ui/view/viewtest"
)

const (
	trayHelperEnv  = "CODEXTRAY_UI_TRAY_HELPER"
	watcherName    = "org.kde.StatusNotifierWatcher"
	watcherPath    = "/StatusNotifierWatcher"
	itemInterface  = "org.kde.StatusNotifierItem"
	menuInterface  = "com.canonical.dbusmenu"
	notifyName     = "org.freedesktop.Notifications"
	trayTestWithin = 30 * time.Second
	// followWithin is how soon the menu must follow a change of auth.json.
	followWithin = time.Second
)

func TestMain(m *testing.M) {
	switch os.Getenv(trayHelperEnv) {
	case "1":
		os.Exit(runTrayHelper(false))
	case "host":
		os.Exit(runTrayHelper(true))
	case "broken-host":
		os.Exit(runTrayHelper(false))
	case "dead-host":
		fmt.Fprintln(os.Stderr, "codextray: no OpenGL here")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// runTrayHelper runs the tray, or its window host, on the main goroutine
// with the real login service, as main wires them (with a static backend:
// no network in tests). The tray starts this test binary again as its
// window host.
func runTrayHelper(asHost bool) int {
	svc, err := login.New("test")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tray helper:", err)
		return 1
	}
	opts := control.Deps{Version: "test", Watch: svc.Watch, Backend: staticBackend{}, Codex: svc}
	if os.Getenv(trayUsageEnv) == "1" {
		opts.UsageMonitor = testUsageMonitor(svc)
	}
	if asHost {
		err = host.Run(opts, chatwin.Deps{}, os.Stdin, os.Stdout)
	} else {
		opts.WindowHost = func() *exec.Cmd {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			hostMode := "host"
			if os.Getenv(trayHelperEnv) == "broken-host" {
				hostMode = "dead-host"
			}
			cmd.Env = append(os.Environ(), trayHelperEnv+"="+hostMode)
			cmd.Stderr = os.Stderr
			return cmd
		}
		err = Run(opts)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tray helper:", err)
		return 1
	}
	return 0
}

// staticBackend stands in for the ChatGPT backend in the helper app.
type staticBackend struct{}

func (staticBackend) Models(context.Context) (view.ModelList, error) { return *viewtest.Models(), nil }

func (staticBackend) Usage(context.Context) (view.Usage, error) {
	now := time.Now()
	return view.UsageFromRateLimits(provider.RateLimits{
		Primary:   &provider.Window{WindowMinutes: 300, UsedPercent: 42, ResetsAt: now.Add(3 * time.Hour)},
		Secondary: &provider.Window{WindowMinutes: 7 * 24 * 60, UsedPercent: 12, ResetsAt: now.Add(4 * 24 * time.Hour)},
	}), nil
}

// trayEnv is a private session for one app: the bus and display of the
// test session, and fresh Codex and app directories.
type trayEnv struct {
	conn       *dbus.Conn
	codexHome  string
	configHome string // XDG_CONFIG_HOME: the app's preferences.json
	raceLog    string
	app        *exec.Cmd
	brokenHost bool     // the app's window host exits at once, saying why
	extraEnv   []string // more environment for the app
}

func newTrayEnv(t *testing.T) *trayEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the app on a private bus; skipped with -short")
	}
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("needs an X display (DISPLAY is not set): run under packaging/linux/test-session.sh (make test)")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatalf("needs a D-Bus session bus (%v): run under packaging/linux/test-session.sh (make test)", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &trayEnv{conn: conn, codexHome: t.TempDir(), configHome: t.TempDir(), raceLog: filepath.Join(t.TempDir(), "race")}
}

// writeLogin writes a ChatGPT login for Ada expiring in left, atomically as
// Codex does.
func (e *trayEnv) writeLogin(t *testing.T, left time.Duration) {
	t.Helper()
	doc := authtest.Login{Expires: time.Now().Add(left), Email: "ada@example.com", Plan: "plus"}.Document()
	if err := authtest.WriteAtomic(filepath.Join(e.codexHome, auth.AuthFileName), doc); err != nil {
		t.Fatal(err)
	}
}

func (e *trayEnv) removeLogin(t *testing.T) {
	t.Helper()
	if err := os.Remove(filepath.Join(e.codexHome, auth.AuthFileName)); err != nil {
		t.Fatal(err)
	}
}

// startApp starts the app; the channel gets its exit error.
func (e *trayEnv) startApp(t *testing.T) <-chan error {
	t.Helper()
	app := exec.Command(os.Args[0], "-test.run=^$")
	mode := "1"
	if e.brokenHost {
		mode = "broken-host"
	}
	app.Env = append(os.Environ(), trayHelperEnv+"="+mode, "CODEX_HOME="+e.codexHome,
		// Under -race, the app's race reports go to files checked below (a
		// known one in godbus is tolerated) rather than failing the exit code.
		"GORACE=halt_on_error=0 exitcode=0 log_path="+e.raceLog,
		"XDG_CONFIG_HOME="+e.configHome, "XDG_DATA_HOME="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir())
	app.Env = append(app.Env, e.extraEnv...)
	e.app = app
	return startProcess(t, app)
}

// startWatcher starts a StatusNotifierWatcher on the test's bus, as a
// desktop has, for the app's tray item to register with.
func (e *trayEnv) startWatcher(t *testing.T) {
	t.Helper()
	watcherBin, err := exec.LookPath("status-notifier-watcher")
	if err != nil {
		t.Fatal("status-notifier-watcher is missing (Debian: haskell-status-notifier-item-utils; packaging/linux/build-deps.sh test installs it)")
	}
	if hasOwner(t, e.conn, watcherName) {
		t.Fatal("this bus already has a StatusNotifierWatcher (a real desktop's?): the test needs a bus of its own; run under packaging/linux/test-session.sh")
	}
	startProcess(t, exec.Command(watcherBin))
	waitFor(t, "the StatusNotifierWatcher on the bus", func() bool { return hasOwner(t, e.conn, watcherName) })
}

// trayItem waits for the app's item registered with the watcher.
func trayItem(t *testing.T, conn *dbus.Conn) dbus.BusObject {
	t.Helper()
	var item dbus.BusObject
	waitFor(t, "the tray item registered with the watcher", func() bool {
		v, err := conn.Object(watcherName, watcherPath).GetProperty(watcherName + ".RegisteredStatusNotifierItems")
		if err != nil {
			return false
		}
		items, _ := v.Value().([]string)
		if len(items) != 1 {
			return false
		}
		item = itemObject(conn, items[0])
		return true
	})
	return item
}

// menuOf is the item's dbusmenu object.
func menuOf(t *testing.T, conn *dbus.Conn, item dbus.BusObject) dbus.BusObject {
	t.Helper()
	menuPath, err := item.GetProperty(itemInterface + ".Menu")
	if err != nil {
		t.Fatalf("reading the item's Menu property: %v", err)
	}
	return conn.Object(item.Destination(), menuPath.Value().(dbus.ObjectPath))
}

// writePrefs writes the app's preferences.json as the window host's
// Settings window (Fyne) does: in place.
func (e *trayEnv) writePrefs(t *testing.T, prefs string) {
	t.Helper()
	dir := filepath.Join(e.configHome, "fyne", appdata.AppID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "preferences.json"), []byte(prefs), 0o600); err != nil {
		t.Fatal(err)
	}
}

// hostRunning reports whether the app has a window host (a child process)
// now.
func (e *trayEnv) hostRunning() bool {
	ents, _ := os.ReadDir("/proc")
	ppid := fmt.Sprintf(" %d ", e.app.Process.Pid)
	for _, ent := range ents {
		raw, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "stat"))
		if err != nil {
			continue
		}
		// The fields after the command name: state, then the parent's pid.
		if i := bytes.LastIndexByte(raw, ')'); i > 0 && strings.HasPrefix(string(raw[i+2:]), string(raw[i+2])+ppid) {
			return true
		}
	}
	return false
}

// artifactDir keeps screenshots: $CODEXTRAY_TEST_ARTIFACTS, else a temp dir.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("CODEXTRAY_TEST_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}
