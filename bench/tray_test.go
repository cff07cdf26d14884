package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/codextray/codextray/core/auth/authtest"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

// The tray benchmarks run the real built app (bin/codextray) as a user
// would, in the session packaging/linux/test-session.sh makes (private
// D-Bus, keyring, Xvfb), with the real tray host: status-notifier-watcher
// and gtk-sni-tray-standalone. The backend is the local fake, so that the
// app's model and usage requests are answered as the real backend would.

const (
	watcherName = "org.kde.StatusNotifierWatcher"
	watcherPath = "/StatusNotifierWatcher"
	itemIface   = "org.kde.StatusNotifierItem"
)

// traySession is the tray host and the files one app needs.
type traySession struct {
	conn *dbus.Conn
	bin  string
	env  []string
}

func newTraySession(b *testing.B) *traySession {
	b.Helper()
	bin := appBinary(b)
	if os.Getenv("DISPLAY") == "" {
		b.Fatal("DISPLAY is not set: run under packaging/linux/test-session.sh (make bench)")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		b.Fatalf("no session bus (%v): run under packaging/linux/test-session.sh (make bench)", err)
	}
	b.Cleanup(func() { conn.Close() })
	if !hasOwner(b, conn, watcherName) {
		w, err := exec.LookPath("status-notifier-watcher")
		if err != nil {
			b.Fatal("status-notifier-watcher is missing (make deps-test installs it)")
		}
		startHelper(b, exec.Command(w))
		waitUntil(b, 10*time.Second, "the StatusNotifierWatcher", func() bool { return hasOwner(b, conn, watcherName) })
		if host, err := exec.LookPath("gtk-sni-tray-standalone"); err == nil {
			startHelper(b, exec.Command(host))
		} else {
			b.Log("gtk-sni-tray-standalone not installed: measuring without a tray host")
		}
	}
	if n := len(registeredItems(conn)); n != 0 {
		b.Fatalf("%d tray items are already registered; want a session of our own", n)
	}

	backend := pt.New(b, "")
	backend.SetModels(pt.Fixture(b, "models.json"), `"bench-1"`)
	backend.SetUsage([]byte(`{"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,`+
		`"primary_window":{"used_percent":42,"limit_window_seconds":18000,"reset_after_seconds":3600,"reset_at":1900000000},`+
		`"secondary_window":{"used_percent":7,"limit_window_seconds":604800,"reset_after_seconds":86400,"reset_at":1900500000}}}`), nil)

	home := b.TempDir()
	doc := authtest.Login{Expires: time.Now().Add(10 * 24 * time.Hour), Email: "ada@example.com", Plan: "plus"}.Document()
	if err := authtest.WriteAtomic(filepath.Join(home, "auth.json"), doc); err != nil {
		b.Fatal(err)
	}
	data := b.TempDir()
	env := append(os.Environ(), "CODEX_HOME="+home, "CODEXTRAY_CHATGPT_BASE_URL="+backend.ChatGPTBaseURL,
		"CODEXTRAY_OPENAI_BASE_URL="+backend.OpenAIBaseURL,
		"XDG_CONFIG_HOME="+filepath.Join(data, "config"), "XDG_DATA_HOME="+filepath.Join(data, "data"),
		"XDG_CACHE_HOME="+filepath.Join(data, "cache"))
	return &traySession{conn: conn, bin: bin, env: env}
}

// app is one running codextray.
type app struct {
	cmd    *exec.Cmd
	pid    int // the app's own pid (under /usr/bin/time, its child)
	out    *lockedBuffer
	exited chan struct{}
}

// start starts the app (or argv), under /usr/bin/time -v when timed.
func (s *traySession) start(b *testing.B, timed bool, argv ...string) *app {
	b.Helper()
	if len(argv) == 0 {
		argv = []string{s.bin}
	}
	if timed {
		argv = append([]string{"/usr/bin/time", "-v"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = s.env
	a := &app{cmd: cmd, out: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = a.out, a.out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	// The app may outlive /usr/bin/time and hold the output pipe open.
	cmd.WaitDelay = 2 * time.Second
	go func() { _ = cmd.Wait(); close(a.exited) }()
	b.Cleanup(func() {
		_ = syscall.Kill(a.pid, syscall.SIGKILL)
		_ = cmd.Process.Kill()
		<-a.exited
	})
	a.pid = cmd.Process.Pid
	if timed {
		waitUntil(b, 5*time.Second, "the app under /usr/bin/time", func() bool {
			kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", a.pid, a.pid))
			if f := strings.Fields(string(kids)); len(f) > 0 {
				a.pid, _ = strconv.Atoi(f[0])
				return true
			}
			return false
		})
	}
	return a
}

// stop ends the app with SIGTERM, as a session logout does, and waits for
// its tray item to go.
func (s *traySession) stop(b *testing.B, a *app) {
	b.Helper()
	_ = syscall.Kill(a.pid, syscall.SIGTERM)
	select {
	case <-a.exited:
	case <-time.After(10 * time.Second):
		_ = a.cmd.Process.Kill()
		<-a.exited
		b.Fatalf("the app did not exit within 10 s of SIGTERM:\n%s", a.out)
	}
	waitUntil(b, 10*time.Second, "the tray item to unregister", func() bool { return len(registeredItems(s.conn)) == 0 })
}

// timeV reads /usr/bin/time -v's figure named key from the app's output.
func (a *app) timeV(key string) (float64, bool) {
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(key) + `: ([0-9.]+)$`).FindStringSubmatch(a.out.String())
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

// cpu is the user+system CPU time so far of the app and every process it
// started (the window host): its own, its reaped children's, and that of
// the descendants still running.
func (a *app) cpu(b *testing.B) time.Duration {
	b.Helper()
	f, ok := procStat(a.pid)
	if !ok {
		b.Fatalf("no /proc/%d/stat", a.pid)
	}
	// utime, stime, cutime, cstime: the 14th to 17th fields of the line.
	var ticks int64
	for _, i := range []int{11, 12, 13, 14} {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	for _, pid := range descendants(a.pid) {
		if f, ok := procStat(pid); ok {
			ut, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			ticks += ut + st
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// procStat is /proc/PID/stat's fields after the parenthesised command name
// (f[0] is the state, the 3rd field of the line).
func procStat(pid int) ([]string, bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, false
	}
	return strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:])), true
}

// descendants are the running processes under pid.
func descendants(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f, ok := procStat(p); ok {
			pp, _ := strconv.Atoi(f[1])
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100

// memKB is a field of /proc/PID/status in kB (VmRSS, VmHWM), summed over
// the app and the processes it started (the window host).
func (a *app) memKB(b *testing.B, field string) float64 {
	b.Helper()
	v, ok := statusKB(a.pid, field)
	if !ok {
		b.Fatalf("no %s in /proc/%d/status", field, a.pid)
	}
	for _, pid := range descendants(a.pid) {
		if kb, ok := statusKB(pid, field); ok {
			v += kb
		}
	}
	return v
}

func statusKB(pid int, field string) (float64, bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	m := regexp.MustCompile(`(?m)^` + field + `:\s+(\d+) kB$`).FindSubmatch(raw)
	if m == nil {
		return 0, false
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v, true
}

// resetPeak resets VmHWM to the current RSS (Linux 4.0+), so a later VmHWM
// is the peak of one phase.
func (a *app) resetPeak(b *testing.B) {
	b.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", a.pid), []byte("5"), 0); err != nil {
		b.Logf("cannot reset the peak RSS: %v", err)
	}
}

func registeredItems(conn *dbus.Conn) []string {
	v, err := conn.Object(watcherName, watcherPath).GetProperty(watcherName + ".RegisteredStatusNotifierItems")
	if err != nil {
		return nil
	}
	items, _ := v.Value().([]string)
	return items
}

func itemObject(conn *dbus.Conn, entry string) dbus.BusObject {
	dest, path := entry, "/StatusNotifierItem"
	if i := strings.Index(entry, "/"); i >= 0 {
		dest, path = entry[:i], entry[i:]
	}
	return conn.Object(dest, dbus.ObjectPath(path))
}

func hasOwner(b *testing.B, conn *dbus.Conn, name string) bool {
	var ok bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&ok); err != nil {
		b.Fatalf("NameHasOwner(%s): %v", name, err)
	}
	return ok
}

// startHelper starts a process of the session and kills it at the end.
func startHelper(b *testing.B, cmd *exec.Cmd) {
	b.Helper()
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting %s: %v", cmd.Path, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	b.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
}

// waitUntil polls cond every 5 ms until it holds or within passes.
func waitUntil(b *testing.B, within time.Duration, what string, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("waited %s for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
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
