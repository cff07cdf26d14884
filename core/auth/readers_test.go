//go:build linux

package auth

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth/authtest"
)

// readWatchFixture is a Codex home with a login, an app data directory and
// a ReadWatch on them.
type readWatchFixture struct {
	*refreshFixture
	dir string
	w   *ReadWatch
}

func newReadWatchFixture(t *testing.T) *readWatchFixture {
	t.Helper()
	f := &readWatchFixture{refreshFixture: newRefreshFixture(t), dir: t.TempDir()}
	f.w = f.watch()
	return f
}

func (f *readWatchFixture) watch() *ReadWatch {
	f.t.Helper()
	w, err := StartReadWatch(f.home, f.dir)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = w.Close() })
	return w
}

// loader reads the login as every Codex Tray process does.
func (f *readWatchFixture) loader() *Loader {
	return &Loader{Home: f.home, ReadMarker: ReadMarkerPath(f.dir, f.home)}
}

func (f *readWatchFixture) foreignReads() int {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	return f.w.nForeign
}

// otherProgramReads reads auth.json as Codex does, and waits until the
// watch has seen it: n foreign events in all (an opening and a closing per
// read).
func (f *readWatchFixture) otherProgramReads(n int) time.Time {
	f.t.Helper()
	before := time.Now()
	if _, err := os.ReadFile(f.authPath()); err != nil {
		f.t.Fatal(err)
	}
	waitUntil(f.t, 5*time.Second, fmt.Sprintf("the watch counts %d foreign events", n), func() bool { return f.foreignReads() >= n })
	return before
}

// TestReadWatchTellsOtherProgramsReads: reads through the Loader, even
// hundreds at once, are Codex Tray's own; a plain read is another
// program's; a new auth.json starts with no foreign read; nothing is
// reported for the markers, which leave no file behind.
func TestReadWatchTellsOtherProgramsReads(t *testing.T) {
	f := newReadWatchFixture(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := f.loader()
			for range 25 {
				if s := l.Load(context.Background()); s.Err != nil || s.Doc == nil {
					t.Errorf("Load: %v", s.Err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// Our reads came first: the first foreign read the watch counts must
	// be this one.
	before := f.otherProgramReads(2)
	if n := f.foreignReads(); n != 2 {
		t.Errorf("the watch counted %d foreign events after 200 Codex Tray reads and 1 other, want its opening and closing", n)
	}
	if last := f.w.LastForeignRead(); last.Before(before) {
		t.Errorf("last foreign read %v, before the other program read (%v)", last, before)
	}
	if m, _ := filepath.Glob(ReadMarkerPath(f.dir, f.home) + "-*"); len(m) != 0 {
		t.Errorf("read markers left behind: %v", m)
	}
	// A process killed inside a read leaves its marker; the next watch
	// removes it, and leaves a live process's alone.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadMarker := fmt.Sprintf("%s-%d-1", ReadMarkerPath(f.dir, f.home), dead.Process.Pid)
	liveMarker := fmt.Sprintf("%s-%d-999", ReadMarkerPath(f.dir, f.home), os.Getpid())
	for _, m := range []string{deadMarker, liveMarker} {
		if err := os.WriteFile(m, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f.watch()
	if _, err := os.Stat(deadMarker); !os.IsNotExist(err) {
		t.Errorf("a dead process's marker was not removed: %v", err)
	}
	if _, err := os.Stat(liveMarker); err != nil {
		t.Errorf("a live process's marker: %v", err)
	}
	_ = os.Remove(liveMarker)

	// Codex writes a new login: nobody has read it yet.
	if err := writeAuthFile(f.authPath(), authtest.Login{Expires: time.Now().Add(time.Hour), RefreshToken: "rt_new_login"}.Document(), nil); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the watch sees the new auth.json", func() bool { return f.w.LastForeignRead().IsZero() })
	f.otherProgramReads(4)
}

// TestReadWatchSharesForeignReads: a watch started after another program
// read the login (a `codextray refresh` run just now) knows of the read
// from the watch that saw it, until auth.json changes.
func TestReadWatchSharesForeignReads(t *testing.T) {
	f := newReadWatchFixture(t)
	f.otherProgramReads(2)
	seen := f.w.LastForeignRead()
	late := f.watch()
	waitUntil(t, 5*time.Second, "a watch started after the read knows it (recorded by the first watch)", func() bool { return late.LastForeignRead().Equal(seen) })
	late.mu.Lock()
	own := late.foreign
	late.mu.Unlock()
	if !own.IsZero() {
		t.Errorf("the late watch saw a read itself: %v", own)
	}
	if err := writeAuthFile(f.authPath(), f.old, nil); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the new auth.json voids the record", func() bool { return late.LastForeignRead().IsZero() })
}

// TestYieldIsBounded: a program reading auth.json again and again cannot
// hold a refresh off past its limit.
func TestYieldIsBounded(t *testing.T) {
	f := newReadWatchFixture(t)
	f.otherProgramReads(2)
	now := time.Now()
	if until := f.w.yieldUntil(context.Background(), now, now.Add(time.Hour)); until.IsZero() || until.After(f.w.LastForeignRead().Add(ForeignReadGrace)) {
		t.Errorf("yield after a fresh foreign read: until %v, want the read + %v", until, ForeignReadGrace)
	}
	if until := f.w.yieldUntil(context.Background(), now, now); !until.IsZero() {
		t.Errorf("yield past its limit: until %v, want none", until)
	}
}

// TestRefreshYieldsToAProgramThatJustReadTheLogin: "Codex" reads auth.json
// without a lock, posts its refresh token 50 ms later and then writes under
// the locks, as Codex 0.171.0 does. A refresh that starts right after
// Codex's read must leave the token to Codex and adopt its login: one POST,
// no reuse. Without the watch, the same timeline spends the token under
// Codex's feet.
func TestRefreshYieldsToAProgramThatJustReadTheLogin(t *testing.T) {
	for _, watched := range []bool{true, false} {
		t.Run(fmt.Sprintf("watched=%v", watched), func(t *testing.T) {
			f := newReadWatchFixture(t)
			r := f.refresher()
			r.Loader = f.loader()
			if watched {
				r.Readers = f.w
			}
			seen := f.doc()
			f.otherProgramReads(2) // Codex's guarded reload
			codexDone := make(chan error, 1)
			go func() {
				codexDone <- func() error {
					<-time.After(50 * time.Millisecond) // Codex builds its client and connects
					codex := f.refresher()
					tr, _, err := codex.post(context.Background(), seen.Tokens.RefreshToken, "forced", time.Now().Add(5*time.Second))
					if err != nil {
						return err
					}
					next, err := seen.WithRefreshedTokens(tr.IDToken, tr.AccessToken, tr.RefreshToken, time.Now())
					if err != nil {
						return err
					}
					lock, err := lockForCommit(context.Background(), f.home, 0)
					if err != nil {
						return err
					}
					defer lock.Unlock()
					data, _ := next.Marshal()
					return writeAuthFile(f.authPath(), data, nil)
				}()
			}()
			res, err := r.Refresh(context.Background(), seen, "forced")
			codexErr := <-codexDone
			c := f.srv.Counts()
			if !watched {
				if c.Reused == 0 {
					t.Errorf("without the watch: token server %v; the timeline should have made one side reuse the token", c)
				}
				return
			}
			if err != nil || codexErr != nil {
				t.Fatalf("Refresh: %s; Codex: %v", errText(err), codexErr)
			}
			if res.Refreshed || !sameTokens(res.Doc, f.doc()) {
				t.Errorf("Refresh refreshed=%v, adopted Codex's login: %v", res.Refreshed, sameTokens(res.Doc, f.doc()))
			}
			if c.Calls != 1 || c.Reused != 0 {
				t.Errorf("token server %v, want Codex's POST only", c)
			}
		})
	}
}

// A watch that starts while another Codex Tray process is inside a read
// (its marker opened before the watch, its opening of auth.json after)
// counts that read as Codex Tray's, not as another program's: concurrent
// `status` runs must not hold each other's refreshes off.
func TestReadWatchStartedInsideACodexTrayRead(t *testing.T) {
	f := &readWatchFixture{refreshFixture: newRefreshFixture(t), dir: t.TempDir()}
	marks := readMarks(ReadMarkerPath(f.dir, f.home))
	var file *os.File
	marks.around('o', func() {
		f.w = f.watch()
		var err error
		if file, err = os.Open(f.authPath()); err != nil {
			t.Fatal(err)
		}
	})
	marks.around('c', func() { _ = file.Close() })
	f.otherProgramReads(2)
	if n := f.foreignReads(); n != 2 {
		t.Errorf("the watch counted %d foreign events; want 2, the other program's opening and closing only", n)
	}
}
