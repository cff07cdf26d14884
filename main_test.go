package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/codextray/codextray/internal/xtest"
)

// The single-instance test runs this test binary as the real program
// (main itself) twice, on a private runtime dir, and checks that the
// second start hands its request to the first and exits 0.

const mainHelperEnv = "CODEXTRAY_MAIN_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(mainHelperEnv) == "1" {
		// main's own arguments: without -test.run, which the tests pass
		// and the tray's window host (this binary again) does not.
		args := []string{"codextray"}
		for _, a := range os.Args[1:] {
			if !strings.HasPrefix(a, "-test.") {
				args = append(args, a)
			}
		}
		os.Args = args
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const within = 30 * time.Second

func TestSecondStartHandsOverAndExits(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the app; skipped with -short")
	}
	if os.Getenv("DISPLAY") == "" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("needs a display and a session bus; run under packaging/linux/test-session.sh (make test)")
	}
	if _, err := exec.LookPath("xwininfo"); err != nil {
		t.Skip("xwininfo not installed (Debian: x11-utils)")
	}
	run, err := os.MkdirTemp("", "ctrun")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(run) })
	env := append(os.Environ(), mainHelperEnv+"=1", "XDG_RUNTIME_DIR="+run, "CODEX_HOME="+t.TempDir(),
		"XDG_CONFIG_HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir(),
		"GORACE=halt_on_error=0 exitcode=0") // the tray's known godbus race is the tray test's business
	start := func(args ...string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, args...)...)
		cmd.Env = env
		return cmd
	}

	first := start()
	var firstOut bytes.Buffer
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	waited := make(chan struct{})
	go func() { exited <- first.Wait(); close(waited) }()
	t.Cleanup(func() {
		_ = first.Process.Kill()
		// Its output is whole once Wait returns: the window host it
		// started writes there too, and ends with the tray.
		select {
		case <-waited:
		case <-time.After(within):
		}
		if t.Failed() {
			t.Logf("first instance output:\n%s", firstOut.String())
		}
	})
	poll(t, "the first instance's socket", func() bool {
		_, err := os.Stat(filepath.Join(run, "codextray.sock"))
		return err == nil
	})

	for _, tc := range []struct {
		args   []string
		window string
	}{
		{[]string{"--open", "status"}, "Codex Tray — Status"},
		{nil, "Chat — Codex Tray"},
	} {
		second := start(tc.args...)
		done := make(chan error, 1)
		var out bytes.Buffer
		second.Stdout, second.Stderr = &out, &out
		if err := second.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- second.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("second start %v exited with %v:\n%s", tc.args, err, out.String())
			}
		case <-time.After(within):
			_ = second.Process.Kill()
			t.Fatalf("second start %v did not exit", tc.args)
		}
		poll(t, "the window "+tc.window+" in the first instance", func() bool {
			tree, _ := exec.Command("xwininfo", "-root", "-tree").Output()
			return bytes.Contains(tree, []byte(`"`+tc.window+`"`))
		})
	}

	// The windows run in the window host, a child of the first instance;
	// it goes once they are closed (the chat's close button hides it), and
	// the tray keeps running without it.
	if len(children(first.Process.Pid)) != 1 {
		t.Fatalf("the first instance has %d children with two windows open, want its window host", len(children(first.Process.Pid)))
	}
	for _, title := range []string{"Codex Tray — Status", "Chat — Codex Tray"} {
		closeWindow(t, title)
	}
	poll(t, "the window host to exit after its windows closed", func() bool { return len(children(first.Process.Pid)) == 0 })

	// SIGTERM ends the first instance cleanly.
	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the first instance exited with %v after SIGTERM", err)
		}
	case <-time.After(within):
		t.Fatal("the first instance did not stop on SIGTERM")
	}
}

func TestOpenFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
		ok   bool
	}{
		{nil, "", true},
		{[]string{"--open", "chat"}, "chat", true},
		{[]string{"--open=status"}, "status", true},
		{[]string{"-open", "status"}, "status", true},
		{[]string{"-open=chat"}, "chat", true}, // was taken for a command
		{[]string{"--open="}, "", false},
		{[]string{"--open", "settings"}, "", false},
		{[]string{"--open"}, "", false},
		{[]string{"--open", "chat", "x"}, "", false},
	} {
		got, err := openFlag(tc.args)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("openFlag(%q) = %q, %v", tc.args, got, err)
		}
	}
}

// poll waits for cond with a deadline.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-time.After(50 * time.Millisecond)
	}
}

// children are the running processes whose parent is pid.
func children(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// After the command name in parentheses: the state, then the ppid.
		f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, p)
		}
	}
	return out
}

// closeWindow closes the window titled title as its title bar's close
// button does.
func closeWindow(t *testing.T, title string) {
	t.Helper()
	var win xtest.Window
	poll(t, "the window "+title, func() bool {
		w, err := xtest.Titled(title)
		win = w
		return err == nil
	})
	if err := xtest.Close(win); err != nil {
		t.Fatal(err)
	}
}
