package platform

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestFindTerminal(t *testing.T) {
	have := func(names ...string) func(string) (string, error) {
		return func(n string) (string, error) {
			for _, h := range names {
				if h == n {
					return "/usr/bin/" + n, nil
				}
			}
			return "", errors.New("not found")
		}
	}
	script := `codex login; printf '\nPress Enter to close this window. '; read _`
	for _, tc := range []struct {
		goos string
		have []string
		want []string
	}{
		{"linux", []string{"xterm", "gnome-terminal"}, []string{"/usr/bin/gnome-terminal", "--", "sh", "-c", script}},
		{"linux", []string{"xterm", "x-terminal-emulator"}, []string{"/usr/bin/x-terminal-emulator", "-e", "sh", "-c", script}},
		{"linux", []string{"konsole"}, []string{"/usr/bin/konsole", "-e", "sh", "-c", script}},
		{"freebsd", []string{"xterm"}, []string{"/usr/bin/xterm", "-e", "sh", "-c", script}},
		{"linux", nil, nil},
		{"darwin", []string{"osascript"}, []string{"osascript", "-e", `tell application "Terminal" to do script "codex login"`, "-e", `tell application "Terminal" to activate`}},
		{"windows", nil, []string{"cmd", "/c", "start", "Codex login", "cmd", "/k", "codex login"}},
	} {
		term, ok := FindTerminal(tc.goos, LoginCommand, have(tc.have...))
		if ok != (tc.want != nil) || !reflect.DeepEqual(term.Argv, tc.want) {
			t.Errorf("%s with %v: got %q (found %v), want %q", tc.goos, tc.have, term.Argv, ok, tc.want)
		}
	}
}

// TestOpenInTerminalStartsIt runs the real launcher with a fake xterm first
// on PATH that records its arguments.
func TestOpenInTerminalStartsIt(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the fake terminal is a shell script")
	}
	dir := t.TempDir()
	record := filepath.Join(dir, "args")
	fake := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + record + ".tmp && mv " + record + ".tmp " + record + "\n"
	if err := os.WriteFile(filepath.Join(dir, "x-terminal-emulator"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH")) // ours first
	if err := OpenInTerminal(LoginCommand); err != nil {
		t.Fatalf("OpenInTerminal: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(record)
		if err == nil {
			if got := strings.Split(strings.TrimSpace(string(b)), "\n"); got[0] != "-e" || got[3] == "" || !strings.HasPrefix(got[3], "codex login;") {
				t.Fatalf("terminal started with %q", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the fake terminal was not started within 10 s")
		}
		time.Sleep(20 * time.Millisecond) // polling a file the child writes, with a deadline
	}
}

func TestOpenInTerminalWithoutOne(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux looks terminals up on PATH")
	}
	t.Setenv("PATH", t.TempDir())
	if err := OpenInTerminal(LoginCommand); !errors.Is(err, ErrNoTerminal) {
		t.Fatalf("OpenInTerminal with an empty PATH = %v, want ErrNoTerminal", err)
	}
}
