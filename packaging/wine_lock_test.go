package packaging

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
)

// holdLocks starts the Windows helper holding LockFileEx on the named
// files of the Codex home (whole: every byte, as Rust's File::lock in
// Codex takes it) and returns once they are held; release lets them go.
func (s *winSession) holdLocks(whole bool, names ...string) (release func()) {
	s.t.Helper()
	args := []string{"lock"}
	if whole {
		args = append(args, "-whole")
	}
	for _, n := range names {
		args = append(args, s.home+`\`+n)
	}
	return s.hold("locked", "released", args...)
}

// hold starts the Windows helper with args and returns once it prints
// ready; release ends its standard input and waits for it to print done
// and exit.
func (s *winSession) hold(ready, done string, args ...string) (release func()) {
	s.t.Helper()
	stdin, endInput := io.Pipe()
	cmd, lines := s.start(stdin, s.w.helper, args...)
	select {
	case l := <-lines:
		if l != ready {
			s.t.Fatalf("helper %s said %q", args[0], l)
		}
	case <-time.After(60 * time.Second):
		s.t.Fatalf("helper %s: no answer within 60 s", args[0])
	}
	released := false
	release = func() {
		if released {
			return
		}
		released = true
		endInput.Close()
		if l := <-lines; l != done {
			s.t.Errorf("helper %s said %q on release", args[0], l)
		}
		_ = cmd.Wait()
	}
	s.t.Cleanup(release)
	return release
}

// openings reports every opening of path (inotify IN_OPEN), from any
// process, Wine's included; it stops when the test ends.
func openings(t *testing.T, path string) <-chan struct{} {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unix.InotifyAddWatch(fd, path, unix.IN_OPEN); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	// Non-blocking, through Go's poller: Close ends a pending Read.
	f := os.NewFile(uintptr(fd), "inotify")
	ch := make(chan struct{}, 64)
	go func() { // owned by the test: ends when Cleanup closes f
		defer close(ch)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				if ev.Mask&unix.IN_OPEN != 0 {
					select {
					case ch <- struct{}{}:
					default: // nobody counts that far
					}
				}
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}()
	t.Cleanup(func() {
		f.Close()
		for range ch {
		}
	})
	return ch
}

// TestWineLockInterop: while another Windows program holds auth.lock with
// LockFileEx (as Codex does while it writes), `codextray refresh` waits
// without spending the refresh token, and refreshes once the lock is let
// go.
func TestWineLockInterop(t *testing.T) {
	w := useWine(t)
	const rt = "rt_wine_lock_0001"
	srv := authtest.NewTokenServer(t, rt)
	s := w.session(t, "CODEX_REFRESH_TOKEN_URL_OVERRIDE="+srv.TokenURL())
	s.writeAuth(authtest.Login{Expires: time.Now().Add(2 * time.Minute).Truncate(time.Second), RefreshToken: rt}.Document())

	release := s.holdLocks(true, "auth.lock", "auth.json.lock")
	opened := openings(t, filepath.Join(s.homeUnix, "auth.lock"))
	type result struct {
		out, errs string
		code      int
	}
	done := make(chan result, 1)
	go func() { // owned by the test: it waits for done below
		var r result
		r.out, r.errs, r.code = s.codextray("refresh")
		done <- r
	}()
	select {
	case <-opened: // refresh is at the lock
	case r := <-done:
		t.Fatalf("refresh ended without touching auth.lock: exit %d\n%s%s", r.code, r.out, r.errs)
	case <-time.After(60 * time.Second):
		t.Fatal("refresh did not open auth.lock within 60 s")
	}
	// Held for a second after refresh reached it: no POST, no end.
	select {
	case <-srv.Got():
		t.Fatal("refresh posted the refresh token while another program held auth.lock")
	case r := <-done:
		t.Fatalf("refresh ended while the lock was held: exit %d\n%s%s", r.code, r.out, r.errs)
	case <-time.After(time.Second):
	}
	releasedAt := time.Now()
	release()
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("refresh did not end within 60 s of the release")
	}
	if r.code != 0 || !strings.HasPrefix(r.out, "Refreshed") {
		t.Fatalf("refresh after the release: exit %d\n%s%s", r.code, r.out, r.errs)
	}
	reqs := srv.Requests()
	if c := srv.Counts(); c.Calls != 1 || c.Issued != 1 || len(reqs) != 1 || reqs[0].At.Before(releasedAt) {
		t.Errorf("token server: %s; the POST must come after the release", c)
	}
	if doc := s.readAuth(); doc.Tokens.RefreshToken.Reveal() != srv.Current() {
		t.Error("auth.json does not hold the refreshed login")
	}
}

// TestWineLockTimeout: when auth.json.lock stays held, refresh gives up
// after Codex's bound (about 5 s) with Codex's message and exit 1; nothing
// is posted and auth.json is untouched.
func TestWineLockTimeout(t *testing.T) {
	w := useWine(t)
	const rt = "rt_wine_lock_timeout_0001"
	srv := authtest.NewTokenServer(t, rt)
	s := w.session(t, "CODEX_REFRESH_TOKEN_URL_OVERRIDE="+srv.TokenURL())
	s.writeAuth(authtest.Login{Expires: time.Now().Add(2 * time.Minute).Truncate(time.Second), RefreshToken: rt}.Document())
	before, err := os.ReadFile(filepath.Join(s.homeUnix, "auth.json"))
	if err != nil {
		t.Fatal(err)
	}

	s.holdLocks(false, "auth.json.lock")
	start := time.Now()
	out, errs, code := s.codextray("refresh")
	took := time.Since(start)
	if code != 1 || !strings.Contains(errs, "credential commit lock timed out") {
		t.Errorf("refresh with auth.json.lock held: exit %d\n%s%s", code, out, errs)
	}
	if took < auth.DefaultCommitLockTimeout {
		t.Errorf("refresh gave up after %s, before the %s bound", took.Round(time.Millisecond), auth.DefaultCommitLockTimeout)
	}
	if c := srv.Counts(); c.Calls != 0 {
		t.Errorf("token server: %s, want no call", c)
	}
	if after, _ := os.ReadFile(filepath.Join(s.homeUnix, "auth.json")); !bytes.Equal(after, before) {
		t.Error("auth.json changed")
	}
	if left, _ := filepath.Glob(filepath.Join(s.homeUnix, ".auth-*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestWineRefreshOverOpenFile: Windows refuses to rename over a file that
// another program has open. A refresh that cannot replace auth.json keeps
// the new tokens (the old refresh token is spent) and fails; the next one
// writes them without a second POST.
func TestWineRefreshOverOpenFile(t *testing.T) {
	w := useWine(t)
	const rt = "rt_wine_open_0001"
	srv := authtest.NewTokenServer(t, rt)
	s := w.session(t, "CODEX_REFRESH_TOKEN_URL_OVERRIDE="+srv.TokenURL())
	s.writeAuth(authtest.Login{Expires: time.Now().Add(2 * time.Minute).Truncate(time.Second), RefreshToken: rt}.Document())
	before, err := os.ReadFile(filepath.Join(s.homeUnix, "auth.json"))
	if err != nil {
		t.Fatal(err)
	}
	old := s.readAuth()

	release := s.hold("open", "closed", "open", s.home+`\auth.json`)
	out, errs, code := s.codextray("refresh")
	if code != 1 || !strings.Contains(errs, "kept the new tokens") {
		t.Errorf("refresh with auth.json open elsewhere: exit %d\n%s%s", code, out, errs)
	}
	if after, _ := os.ReadFile(filepath.Join(s.homeUnix, "auth.json")); !bytes.Equal(after, before) {
		t.Error("auth.json changed although the rename failed")
	}
	release()

	out2, errs2, code := s.codextray("refresh")
	if code != 0 || !strings.HasPrefix(out2, "Finished a refresh that an earlier run could not write") {
		t.Errorf("refresh after the file was closed: exit %d\n%s%s", code, out2, errs2)
	}
	if c := srv.Counts(); c.Calls != 1 || c.Reused != 0 {
		t.Errorf("token server: %s, want one refresh", c)
	}
	if doc := s.readAuth(); doc.Tokens.RefreshToken.Reveal() != srv.Current() {
		t.Error("auth.json does not hold the refreshed login")
	}
	if left, _ := filepath.Glob(filepath.Join(s.homeUnix, ".auth-*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	noSecrets(t, "refresh", out+errs+out2+errs2, append(srv.Secrets(), tokenSecrets(old)...)...)
}
