package auth

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/fsnotify/fsnotify"
)

type watchRun struct {
	t     *testing.T
	snaps chan Snapshot
	got   []Snapshot
}

func startWatch(t *testing.T, home string, tune func(*Watcher)) *watchRun {
	t.Helper()
	w := NewWatcher(&Loader{Home: home})
	if tune != nil {
		tune(w)
	}
	ctx, cancel := context.WithCancel(context.Background())
	snaps := make(chan Snapshot)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, snaps) }()
	r := &watchRun{t: t, snaps: snaps}
	t.Cleanup(func() {
		cancel()
		for range snaps {
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("watcher did not stop within 5 s of cancel")
		}
	})
	return r
}

// waitFor returns the first snapshot (from now on) whose status matches.
func (r *watchRun) waitFor(what string, ok func(Status) bool) Status {
	r.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case s := <-r.snaps:
			r.got = append(r.got, s)
			st := NewStatus(s, StatusOptions{Now: time.Now()})
			if ok(st) {
				return st
			}
		case <-deadline:
			r.t.Fatalf("no %s status within 5 s; saw %d snapshots", what, len(r.got))
		}
	}
}

func stateIs(want State) func(Status) bool { return func(st Status) bool { return st.State == want } }

func expiresAt(t time.Time) func(Status) bool {
	return func(st Status) bool { return st.ExpiresAt == t.UTC().Format(time.RFC3339) }
}

func future(d time.Duration) time.Time { return time.Now().Add(d).Truncate(time.Second) }

func TestWatchEveryKindOfChange(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, "auth.json")
	r := startWatch(t, home, nil)
	r.waitFor("initial logged_out", stateIs(StateLoggedOut))

	exp1 := future(72 * time.Hour)
	must(t, authtest.WriteAtomic(path, authtest.Login{Expires: exp1}.Document()))
	r.waitFor("login by atomic rename", expiresAt(exp1))

	exp2 := future(96 * time.Hour)
	must(t, authtest.WriteInPlace(path, authtest.Login{Expires: exp2}.Document()))
	r.waitFor("truncate-and-write in place", expiresAt(exp2))

	must(t, os.Remove(path))
	r.waitFor("logout by delete", stateIs(StateLoggedOut))

	must(t, os.WriteFile(path, authtest.APIKeyDocument("sk-test-nontmp-12345"), 0o600))
	st := r.waitFor("re-create", stateIs(StateAPIKey))
	if st.APIKey != "sk-test-***12345" {
		t.Errorf("api_key = %q", st.APIKey)
	}

	must(t, os.WriteFile(filepath.Join(home, "config.toml"), []byte(`cli_auth_credentials_store = "ephemeral"`), 0o600))
	r.waitFor("config.toml change to ephemeral", func(st Status) bool { return st.Store == "ephemeral" && st.State == StateLoggedOut })
}

func TestWatchSymlink(t *testing.T) {
	home, elsewhere := t.TempDir(), t.TempDir()
	target := filepath.Join(elsewhere, "auth.json")
	must(t, os.WriteFile(target, authtest.Login{Expires: future(72 * time.Hour)}.Document(), 0o600))
	must(t, os.Symlink(target, filepath.Join(home, "auth.json")))
	r := startWatch(t, home, nil)
	r.waitFor("initial valid", stateIs(StateValid))

	// Codex follows the link and renames a temp file over the target, in the
	// target's directory; CODEX_HOME sees nothing.
	exp := future(80 * time.Hour)
	must(t, authtest.WriteAtomic(target, authtest.Login{Expires: exp}.Document()))
	r.waitFor("change of the symlink's target", expiresAt(exp))
	must(t, os.Remove(target))
	r.waitFor("target deleted", stateIs(StateLoggedOut))
	must(t, authtest.WriteAtomic(target, authtest.Login{Expires: exp.Add(time.Hour)}.Document()))
	r.waitFor("target re-created", expiresAt(exp.Add(time.Hour)))
}

func TestWatchHomeCreatedLater(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "a", "b", ".codex")
	r := startWatch(t, home, nil)
	st := r.waitFor("initial logged_out", stateIs(StateLoggedOut))
	if st.Message == "" {
		t.Error("no message for a missing home")
	}
	must(t, os.MkdirAll(home, 0o700))
	exp := future(72 * time.Hour)
	must(t, authtest.WriteAtomic(filepath.Join(home, "auth.json"), authtest.Login{Expires: exp}.Document()))
	r.waitFor("login in a home created after start", expiresAt(exp))

	// The home goes away and comes back.
	must(t, os.RemoveAll(home))
	r.waitFor("home removed", stateIs(StateLoggedOut))
	must(t, os.MkdirAll(home, 0o700))
	must(t, authtest.WriteAtomic(filepath.Join(home, "auth.json"), authtest.Login{Expires: exp.Add(time.Hour)}.Document()))
	r.waitFor("login in a re-created home", expiresAt(exp.Add(time.Hour)))
}

func TestWatchBurstCoalesces(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, "auth.json")
	var reads atomic.Int32
	r := startWatch(t, home, func(w *Watcher) { w.readHook = func(Snapshot) { reads.Add(1) } })
	r.waitFor("initial", stateIs(StateLoggedOut))
	start := reads.Load()
	var last time.Time
	for i := 0; i < 100; i++ {
		last = future(time.Duration(48+i) * time.Hour)
		if i%2 == 0 {
			must(t, authtest.WriteAtomic(path, authtest.Login{Expires: last}.Document()))
		} else {
			must(t, authtest.WriteInPlace(path, authtest.Login{Expires: last}.Document()))
		}
	}
	r.waitFor("the last of 100 writes", expiresAt(last))
	n := reads.Load() - start
	t.Logf("100 writes caused %d reads and %d reports", n, len(r.got))
	if n > 20 {
		t.Errorf("100 writes caused %d reads; the debounce should coalesce them", n)
	}
}

func TestWatchHalfWrittenFileIsNotReported(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, "auth.json")
	exp := future(72 * time.Hour)
	full := authtest.Login{Expires: exp}.Document()
	must(t, os.WriteFile(path, full, 0o600))
	sawHalf := make(chan struct{})
	var once atomic.Bool
	r := startWatch(t, home, func(w *Watcher) {
		w.RetryDelay = 200 * time.Millisecond // room for the test to react
		w.readHook = func(s Snapshot) {
			if s.Err != nil && once.CompareAndSwap(false, true) {
				close(sawHalf)
			}
		}
	})
	r.waitFor("initial", expiresAt(exp))

	must(t, authtest.WriteInPlace(path, full[:len(full)/2]))
	select {
	case <-sawHalf: // the watcher has read the half-written file
	case <-time.After(5 * time.Second):
		t.Fatal("the watcher never read the half-written file")
	}
	exp2 := exp.Add(time.Hour)
	must(t, authtest.WriteInPlace(path, authtest.Login{Expires: exp2}.Document()))
	r.waitFor("the complete file", expiresAt(exp2))
	for _, s := range r.got {
		if s.Err != nil || s.Doc == nil {
			t.Errorf("a half-written file was reported: err=%v doc=%v", s.Err, s.Doc != nil)
		}
	}
}

func TestWatchReportsPersistentError(t *testing.T) {
	home := t.TempDir()
	r := startWatch(t, home, func(w *Watcher) { w.RetryDelay = 10 * time.Millisecond })
	r.waitFor("initial", stateIs(StateLoggedOut))
	must(t, os.WriteFile(filepath.Join(home, "auth.json"), []byte(`{"tokens": {`), 0o600))
	st := r.waitFor("error", stateIs(StateError))
	if st.Error == "" {
		t.Error("error state without a reason")
	}
}

func TestRelevantIgnoresNoise(t *testing.T) {
	home := "/h/.codex"
	w := &Watcher{Loader: &Loader{Home: home}}
	names := map[string]string{home: "auth.json", "/h": "\x00.codex", "/t": "real.json"}
	cases := []struct {
		name string
		op   fsnotify.Op
		want bool
	}{
		{home + "/auth.json", fsnotify.Create, true},
		{home + "/auth.json", fsnotify.Remove, true},
		{home + "/auth.json", fsnotify.Write, true},
		{home + "/config.toml", fsnotify.Write, true},
		{home + "/.auth-Z4IGxp", fsnotify.Create, false},
		{home + "/.auth-Z4IGxp", fsnotify.Rename, false},
		{home + "/auth.json.lock", fsnotify.Create, false},
		{home + "/auth.lock", fsnotify.Write, false},
		{home + "/state_5.sqlite-wal", fsnotify.Write, false},
		{home + "/log", fsnotify.Create, false},
		{home + "/tmp", fsnotify.Create, false},
		{"/h/.codex", fsnotify.Remove, true},
		{"/h/.bashrc", fsnotify.Write, false},
		{"/t/real.json", fsnotify.Create, true},
		{"/t/other.json", fsnotify.Create, false},
		{"/elsewhere/auth.json", fsnotify.Create, false},
	}
	for _, c := range cases {
		if got := w.relevant(fsnotify.Event{Name: c.name, Op: c.op}, names); got != c.want {
			t.Errorf("relevant(%s %s) = %v, want %v", c.op, c.name, got, c.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
