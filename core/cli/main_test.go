package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/history"
	"github.com/codextray/codextray/core/login"
)

// The test binary doubles as codextray: with CODEXTRAY_TEST_AS_CLI=1 it runs
// the command line in a real process, which the interop tests need (signals,
// other processes writing the files, no shared state with the test).
func TestMain(m *testing.M) {
	if os.Getenv("CODEXTRAY_TEST_AS_CLI") == "1" {
		// CODEXTRAY_TEST_BLOCK_BEFORE_RENAME=FILE: stop at the worst moment
		// of a write of auth.json (the temp file complete, not yet renamed),
		// create FILE to say so, and wait there to be killed.
		var beforeRename func()
		if ready := os.Getenv("CODEXTRAY_TEST_BLOCK_BEFORE_RENAME"); ready != "" {
			beforeRename = func() {
				if err := os.WriteFile(ready, []byte("before rename\n"), 0o600); err != nil {
					os.Exit(97)
				}
				for { // blocked until killed; a bare select{} could end as a deadlock
					time.Sleep(time.Hour)
				}
			}
		}
		if os.Getenv("CODEXTRAY_TEST_FAIL_RENAME") == "1" {
			beforeRename = failRename
		}
		// CODEXTRAY_TEST_START_GATE=FILE: start up (up to the login
		// services, which watch who reads auth.json from then on), create
		// FILE to say so, then wait for a line on stdin before the command
		// does anything, so that several processes can be released at the
		// same moment.
		gate := os.Getenv("CODEXTRAY_TEST_START_GATE")
		services := func(svc *login.Service) {
			svc.Refresher.BeforeRename = beforeRename
			if gate == "" {
				return
			}
			if err := os.WriteFile(gate, []byte("at the gate\n"), 0o600); err != nil {
				os.Exit(97)
			}
			if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
				os.Exit(98)
			}
		}
		// CODEXTRAY_TEST_HISTORY_PRAGMA=P: every history connection also
		// runs PRAGMA P, e.g. max_page_count(1) to have SQLite report a
		// full disk the way a real one does.
		var hist []history.Option
		if p := os.Getenv("CODEXTRAY_TEST_HISTORY_PRAGMA"); p != "" {
			hist = append(hist, history.WithPragmas(p))
		}
		os.Exit(Run(os.Args[1:], Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
			FyneAppTOML: []byte("[Details]\nVersion = \"0.1.0\"\n"), Services: services, History: hist}))
	}
	os.Exit(m.Run())
}

// codextrayCmd returns a command running codextray with args and extra env.
func codextrayCmd(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(append(os.Environ(), "CODEXTRAY_TEST_AS_CLI=1"), env...)
	return cmd
}

// runCodextray runs codextray to completion and returns stdout, stderr and
// the exit code.
func runCodextray(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := codextrayCmd(t, env, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// statusWatch is a running `codextray status --watch --json`.
type statusLine struct {
	st  auth.Status
	raw string
	at  time.Time // when the line was read
}

type statusWatch struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan statusLine
	mu    sync.Mutex
	seen  []string
	errb  bytes.Buffer // stderr, guarded by mu
}

// Write collects the process's stderr.
func (w *statusWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.errb.Write(p)
}

// stderr returns what the process has written to stderr so far.
func (w *statusWatch) stderr() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.errb.String()
}

// startStatusWatch starts `codextray status --watch --json` and stops it when
// the test ends.
func startStatusWatch(t *testing.T, env []string) *statusWatch {
	t.Helper()
	cmd := codextrayCmd(t, env, "status", "--watch", "--json")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	w := &statusWatch{t: t, cmd: cmd, lines: make(chan statusLine, 1000)}
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line, at := sc.Text(), time.Now()
			w.mu.Lock()
			w.seen = append(w.seen, line)
			w.mu.Unlock()
			var st auth.Status
			if err := json.Unmarshal([]byte(line), &st); err != nil {
				t.Errorf("status --watch printed a line that is not JSON: %q", line)
				continue
			}
			w.lines <- statusLine{st, line, at}
		}
		close(w.lines)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("status --watch did not exit cleanly on SIGINT: %v; stderr: %s", err, w.stderr())
			}
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("status --watch did not stop within 5 s of SIGINT")
		}
	})
	return w
}

// next waits for the next status line that satisfies ok, up to timeout.
func (w *statusWatch) next(timeout time.Duration, ok func(auth.Status) bool) (auth.Status, string) {
	w.t.Helper()
	l := w.nextLine(timeout, ok)
	return l.st, l.raw
}

// nextLine is next, with the time the line was read.
func (w *statusWatch) nextLine(timeout time.Duration, ok func(auth.Status) bool) statusLine {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		select {
		case l, open := <-w.lines:
			if !open {
				w.t.Fatalf("status --watch ended early; lines so far:\n%s", w.dump())
			}
			if ok(l.st) {
				return l
			}
		case <-ctx.Done():
			w.t.Fatalf("no matching status line within %s; lines so far:\n%s", timeout, w.dump())
			return statusLine{}
		}
	}
}

func (w *statusWatch) dump() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.seen, "\n")
}
