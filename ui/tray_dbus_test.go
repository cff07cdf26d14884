package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/codextray/codextray/core/auth"
)

// The tray test runs the real app in a child process (this test binary, in
// helper mode) because Fyne must own the main goroutine, and reads its tray
// item back over D-Bus from a real StatusNotifierWatcher, as a desktop would.

const (
	trayHelperEnv  = "CODEXTRAY_UI_TRAY_HELPER"
	watcherName    = "org.kde.StatusNotifierWatcher"
	watcherPath    = "/StatusNotifierWatcher"
	itemInterface  = "org.kde.StatusNotifierItem"
	menuInterface  = "com.canonical.dbusmenu"
	trayTestWithin = 30 * time.Second
)

func TestMain(m *testing.M) {
	if os.Getenv(trayHelperEnv) == "1" {
		os.Exit(runTrayHelper(os.Stdin))
	}
	os.Exit(m.Run())
}

// runTrayHelper runs the tray on the main goroutine, fed by JSON statuses
// read one per line from r.
func runTrayHelper(r io.Reader) int {
	statuses := make(chan auth.Status)
	go func() {
		defer close(statuses)
		dec := json.NewDecoder(r)
		for {
			var st auth.Status
			if err := dec.Decode(&st); err != nil {
				return
			}
			statuses <- st
		}
	}()
	if err := Run(Options{Status: statuses, Version: "test"}); err != nil {
		fmt.Fprintln(os.Stderr, "tray helper:", err)
		return 1
	}
	return 0
}

func TestTrayOverDBus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a tray host and the app; skipped with -short")
	}
	watcherBin, err := exec.LookPath("status-notifier-watcher")
	if err != nil {
		t.Skip("status-notifier-watcher not installed (Debian: haskell-status-notifier-item-utils); run make test")
	}
	if os.Getenv("DISPLAY") == "" {
		t.Skip("DISPLAY is not set; run under packaging/linux/test-session.sh (make test)")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Skipf("no D-Bus session bus (%v); run under packaging/linux/test-session.sh (make test)", err)
	}
	defer conn.Close()
	if hasOwner(t, conn, watcherName) {
		t.Skip("this bus already has a StatusNotifierWatcher (a real desktop?); run under packaging/linux/test-session.sh")
	}

	startProcess(t, exec.Command(watcherBin))
	waitFor(t, "the StatusNotifierWatcher on the bus", func() bool { return hasOwner(t, conn, watcherName) })
	if host, err := exec.LookPath("gtk-sni-tray-standalone"); err == nil {
		startProcess(t, exec.Command(host))
	}

	raceLog := filepath.Join(t.TempDir(), "race")
	app := exec.Command(os.Args[0], "-test.run=^$")
	app.Env = append(os.Environ(), trayHelperEnv+"=1",
		// Under -race, the app's race reports go to files checked below (a
		// known one in godbus is tolerated) rather than failing the exit code.
		"GORACE=halt_on_error=0 exitcode=0 log_path="+raceLog,
		"XDG_CONFIG_HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir())
	statusIn, err := app.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	exited := startProcess(t, app)
	send := func(st auth.Status) {
		t.Helper()
		if err := json.NewEncoder(statusIn).Encode(st); err != nil {
			t.Fatalf("sending a status to the app: %v", err)
		}
	}

	send(auth.Status{State: auth.StateValid, Message: "Signed in as ada@example.com (Plus)."})

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
	menuPath, err := item.GetProperty(itemInterface + ".Menu")
	if err != nil {
		t.Fatalf("reading the item's Menu property: %v", err)
	}
	menuObj := conn.Object(item.Destination(), menuPath.Value().(dbus.ObjectPath))

	var layout menuNode
	waitFor(t, "the status line in the tray menu", func() bool {
		layout = getLayout(t, menuObj)
		return layout.find("Signed in as ada@example.com (Plus).") != nil
	})
	if st := layout.find("Signed in as ada@example.com (Plus)."); st.enabled() {
		t.Error("the status line is enabled; want a disabled label")
	}
	quit := layout.find("Quit")
	if quit == nil {
		t.Fatalf("no Quit item in the tray menu: %s", layout)
	}
	validIcon := iconPixmap(t, item)

	// A change of login goes through the fyne.Do seam to the menu and the icon.
	send(auth.Status{State: auth.StateExpired, Message: "The ChatGPT login has expired."})
	waitFor(t, "the menu to show the new status", func() bool {
		layout = getLayout(t, menuObj)
		return layout.find("The ChatGPT login has expired.") != nil
	})
	waitFor(t, "the icon to change with the state", func() bool {
		return !bytes.Equal(iconPixmap(t, item), validIcon)
	})

	// Quit from the tray menu ends the app cleanly.
	quit = layout.find("Quit")
	if quit == nil {
		t.Fatalf("no Quit item after the update: %s", layout)
	}
	if call := menuObj.Call(menuInterface+".Event", 0, quit.id, "clicked", dbus.MakeVariant(""), uint32(0)); call.Err != nil {
		t.Fatalf("clicking Quit over D-Bus: %v", call.Err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the app exited with %v after Quit", err)
		}
	case <-time.After(trayTestWithin):
		t.Fatal("the app did not exit after Quit was clicked")
	}
	checkRaceReports(t, raceLog)
}

// checkRaceReports fails the test for every data race the app reported,
// except godbus's own: prop.Properties.set stores a new property value into
// the old value's memory while a Get reply may still be encoding it, so a
// tray host reading IconPixmap while the icon changes races inside
// github.com/godbus/dbus/v5 (used by fyne.io/systray), not in our code.
func checkRaceReports(t *testing.T, logPrefix string) {
	t.Helper()
	files, _ := filepath.Glob(logPrefix + ".*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, report := range strings.Split(string(b), "==================") {
			if !strings.Contains(report, "WARNING: DATA RACE") {
				continue
			}
			if strings.Contains(report, "godbus/dbus/v5/prop.(*Properties).set") &&
				strings.Contains(report, "godbus/dbus/v5.(*encoder).encode") {
				t.Log("tolerated the known data race inside godbus/dbus prop (tray icon update vs. a host reading it)")
				continue
			}
			t.Errorf("the tray app had a data race:\n%s", report)
		}
	}
}

// itemObject resolves a watcher entry: "busname/path", "busname" (path
// /StatusNotifierItem) or "/path" (no bus name).
func itemObject(conn *dbus.Conn, entry string) dbus.BusObject {
	dest, path := entry, "/StatusNotifierItem"
	if i := strings.Index(entry, "/"); i >= 0 {
		dest, path = entry[:i], entry[i:]
	}
	return conn.Object(dest, dbus.ObjectPath(path))
}

func hasOwner(t *testing.T, conn *dbus.Conn, name string) bool {
	t.Helper()
	var ok bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&ok); err != nil {
		t.Fatalf("NameHasOwner(%s): %v", name, err)
	}
	return ok
}

func iconPixmap(t *testing.T, item dbus.BusObject) []byte {
	t.Helper()
	v, err := item.GetProperty(itemInterface + ".IconPixmap")
	if err != nil {
		t.Fatalf("reading IconPixmap: %v", err)
	}
	return []byte(fmt.Sprint(v.Value()))
}

// menuNode is one dbusmenu layout node.
type menuNode struct {
	id       int32
	props    map[string]dbus.Variant
	children []menuNode
}

func (n menuNode) label() string {
	s, _ := n.props["label"].Value().(string)
	return s
}

func (n menuNode) enabled() bool {
	v, ok := n.props["enabled"]
	if !ok {
		return true // the dbusmenu default
	}
	b, _ := v.Value().(bool)
	return b
}

func (n *menuNode) find(label string) *menuNode {
	if n.label() == label {
		return n
	}
	for i := range n.children {
		if f := n.children[i].find(label); f != nil {
			return f
		}
	}
	return nil
}

func (n menuNode) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d:%q[", n.id, n.label())
	for _, c := range n.children {
		b.WriteString(c.String())
	}
	b.WriteString("]")
	return b.String()
}

func getLayout(t *testing.T, menu dbus.BusObject) menuNode {
	t.Helper()
	var revision uint32
	var root []interface{}
	call := menu.Call(menuInterface+".GetLayout", 0, int32(0), int32(-1), []string{})
	if call.Err != nil {
		return menuNode{}
	}
	if err := call.Store(&revision, &root); err != nil {
		t.Fatalf("decoding GetLayout: %v", err)
	}
	return parseNode(t, root)
}

func parseNode(t *testing.T, fields []interface{}) menuNode {
	t.Helper()
	if len(fields) != 3 {
		t.Fatalf("dbusmenu node has %d fields, want 3", len(fields))
	}
	n := menuNode{}
	n.id, _ = fields[0].(int32)
	n.props, _ = fields[1].(map[string]dbus.Variant)
	children, _ := fields[2].([]dbus.Variant)
	for _, c := range children {
		f, ok := c.Value().([]interface{})
		if !ok {
			t.Fatalf("dbusmenu child is %T, want a struct", c.Value())
		}
		n.children = append(n.children, parseNode(t, f))
	}
	return n
}

// startProcess starts cmd with its output kept for the log, and stops it by
// PID when the test ends. The returned channel gets its exit error.
func startProcess(t *testing.T, cmd *exec.Cmd) <-chan error {
	t.Helper()
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	exited := make(chan error, 1)
	done := make(chan struct{})
	go func() { exited <- cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("output of %s:\n%s", cmd.Path, out.String())
		}
	})
	return exited
}

// waitFor polls cond until it holds or trayTestWithin passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(trayTestWithin)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting for %s", trayTestWithin, what)
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
