package winhost

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The hosts in these tests are this test binary in helper mode: it serves
// requests as the window host does and records each one it handled in a
// log file, one line per request, with its pid.
const (
	helperEnv = "WINHOST_TEST_HOST"
	logEnv    = "WINHOST_TEST_LOG"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	os.Exit(m.Run())
}

func runHelper(mode string) int {
	logf, err := os.OpenFile(os.Getenv(logEnv), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return 1
	}
	defer logf.Close()
	switch mode {
	case "die":
		fmt.Fprintln(os.Stderr, "boom: no display")
		return 1
	case "mute": // handles requests, never answers
		_ = Serve(os.Stdin, io.Discard, func(r Request, done func()) {
			fmt.Fprintf(logf, "%d %d %s\n", os.Getpid(), r.Seq, r.Open)
			done()
		})
		select {}
	case "event": // tells the tray the usage changed, then answers
		srv := NewServer(os.Stdout)
		_ = srv.Serve(os.Stdin, func(r Request, done func()) {
			fmt.Fprintf(logf, "%d %d %s\n", os.Getpid(), r.Seq, r.Open)
			srv.Event(EventUsage)
			done()
		})
		return 0
	case "hang":
		_ = Serve(os.Stdin, os.Stdout, func(r Request, done func()) {
			fmt.Fprintf(logf, "%d %d %s\n", os.Getpid(), r.Seq, r.Open)
			done()
		})
		select {} // ignores the end of its stdin
	}
	// "serve": answer everything; "quit-after-first": handle one request,
	// then exit without reading (or answering) any other, as a host does
	// when its last window closed just as a request came in.
	first := true
	var once sync.Once
	err = Serve(os.Stdin, os.Stdout, func(r Request, done func()) {
		if !first && mode == "quit-after-first" {
			once.Do(func() { os.Exit(0) })
		}
		first = false
		what := r.Open
		if r.Notify != nil {
			what = "notify:" + r.Notify.Title
		}
		fmt.Fprintf(logf, "%d %d %s\n", os.Getpid(), r.Seq, what)
		done()
	})
	if err != nil {
		return 1
	}
	return 0
}

type handled struct {
	pid  string
	seq  string
	what string
}

func readLog(t *testing.T, path string) []handled {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []handled
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.SplitN(sc.Text(), " ", 3)
		out = append(out, handled{p[0], p[1], p[2]})
	}
	return out
}

func starter(t *testing.T, log string, modes ...string) func() *exec.Cmd {
	var mu sync.Mutex
	n := 0
	return func() *exec.Cmd {
		mu.Lock()
		mode := modes[min(n, len(modes)-1)]
		n++
		mu.Unlock()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+mode, logEnv+"="+log)
		return cmd
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRequestsReachOneHostInOrder(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	c := NewClient(starter(t, log, "serve"), func(err error) { t.Errorf("failed: %v", err) })
	defer c.Close(5 * time.Second)
	c.Open("chat")
	c.Open("status")
	c.Notify(Notice{Title: "Hello", Body: "there"})
	waitFor(t, "three requests handled", func() bool { return len(readLog(t, log)) == 3 })
	got := readLog(t, log)
	if got[0].pid != got[1].pid || got[1].pid != got[2].pid {
		t.Errorf("requests went to several hosts: %v", got)
	}
	for i, want := range []string{"chat", "status", "notify:Hello"} {
		if got[i].what != want || got[i].seq != fmt.Sprint(i+1) {
			t.Errorf("request %d = %+v, want %q with seq %d", i, got[i], want, i+1)
		}
	}
	waitFor(t, "every answer read", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.pending) == 0
	})
	if !c.Running() {
		t.Error("the host is not running after serving")
	}
}

// An event the host writes (a redeem reset the usage) reaches the tray's
// OnEvent, and the request it came with is answered as usual.
func TestHostEventsReachTheTray(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	c := NewClient(starter(t, log, "event"), func(err error) { t.Errorf("failed: %v", err) })
	events := make(chan string, 4)
	c.OnEvent = func(name string) { events <- name }
	defer c.Close(5 * time.Second)
	c.Open("status")
	select {
	case name := <-events:
		if name != EventUsage {
			t.Errorf("event %q, want %q", name, EventUsage)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no event from the host")
	}
	waitFor(t, "the request answered", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.pending) == 0
	})
}

// A host that exits without answering (its last window closed as the
// request came in) leaves the request to a new host: the click is not lost.
func TestUnansweredRequestGoesToANewHost(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	c := NewClient(starter(t, log, "quit-after-first", "serve"), func(err error) { t.Errorf("failed: %v", err) })
	defer c.Close(5 * time.Second)
	c.Open("status")
	waitFor(t, "the first request handled", func() bool { return len(readLog(t, log)) == 1 })
	c.Open("chat") // the first host exits on it without answering
	waitFor(t, "the second request handled by a new host", func() bool { return len(readLog(t, log)) == 2 })
	got := readLog(t, log)
	if got[1].what != "chat" || got[1].pid == got[0].pid {
		t.Errorf("handled %+v, want chat in a second host", got)
	}
}

// A host that can never start (no display, a broken install) is given up
// on with the reason, after a few tries, not restarted forever.
func TestAHostThatKeepsDyingIsReported(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	errs := make(chan error, 4)
	starts := 0
	var mu sync.Mutex
	start := starter(t, log, "die")
	c := NewClient(func() *exec.Cmd {
		mu.Lock()
		starts++
		mu.Unlock()
		return start()
	}, func(err error) { errs <- err })
	defer c.Close(5 * time.Second)
	c.Open("chat")
	select {
	case err := <-errs:
		if !strings.Contains(err.Error(), "boom: no display") {
			t.Errorf("error %q does not say why the host exited", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no error reported for a host that keeps dying")
	}
	mu.Lock()
	defer mu.Unlock()
	if starts != maxRestarts+1 {
		t.Errorf("%d starts, want %d", starts, maxRestarts+1)
	}
}

// A host that reads requests but never answers (hung) is killed, and the
// request goes to a new host.
func TestAHungHostIsReplaced(t *testing.T) {
	defer func(d time.Duration) { answerWithin = d }(answerWithin)
	answerWithin = 300 * time.Millisecond
	log := filepath.Join(t.TempDir(), "log")
	c := NewClient(starter(t, log, "mute", "serve"), func(err error) { t.Errorf("failed: %v", err) })
	defer c.Close(5 * time.Second)
	c.Open("chat")
	waitFor(t, "the request handled by the second host", func() bool {
		got := readLog(t, log)
		return len(got) == 2 && got[1].what == "chat" && got[1].pid != got[0].pid
	})
}

func TestNoHostCommand(t *testing.T) {
	var got error
	c := NewClient(nil, func(err error) { got = err })
	c.Open("chat")
	if got == nil {
		t.Fatal("no error without a host command")
	}
}

// Close ends the host through its stdin, and kills one that does not go.
func TestCloseEndsTheHost(t *testing.T) {
	for _, mode := range []string{"serve", "hang"} {
		t.Run(mode, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "log")
			c := NewClient(starter(t, log, mode), nil)
			c.Open("chat")
			waitFor(t, "the request handled", func() bool { return len(readLog(t, log)) == 1 })
			c.mu.Lock()
			cmd := c.cmd
			c.mu.Unlock()
			start := time.Now()
			grace := 10 * time.Second // a -race binary sleeps 1 s at exit
			if mode == "hang" {
				grace = 300 * time.Millisecond
			}
			c.Close(grace)
			t.Logf("closed in %s", time.Since(start))
			if cmd.ProcessState == nil {
				t.Fatal("Close returned before the host exited")
			}
			if mode == "serve" && !cmd.ProcessState.Success() {
				t.Errorf("a serving host did not exit cleanly on Close: %v", cmd.ProcessState)
			}
			c.Open("status") // after Close: nothing starts
			if c.Running() {
				t.Error("a host started after Close")
			}
		})
	}
}

func TestServeSkipsBadLines(t *testing.T) {
	in := strings.NewReader("not json\n{\"seq\":7,\"open\":\"chat\"}\n\n")
	var out strings.Builder
	var got []Request
	if err := Serve(in, &out, func(r Request, done func()) { got = append(got, r); done() }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Seq != 7 || got[0].Open != "chat" {
		t.Errorf("got %+v", got)
	}
	if out.String() != "done 7\n" {
		t.Errorf("answered %q", out.String())
	}
}
