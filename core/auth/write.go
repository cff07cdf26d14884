package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

var errLockBusy = errors.New("lock busy")

// ErrLockTimeout is Codex's "credential commit lock timed out".
var ErrLockTimeout = errors.New("credential commit lock timed out: another program holds auth.json.lock")

// CommitLock is Codex's own lock protocol around every write of the login:
// a blocking flock on $CODEX_HOME/auth.lock, then a non-blocking flock on
// auth.json.lock retried every 10 ms for about 5 s. Codex takes the same
// locks, so it waits for us and we wait for it.
type CommitLock struct{ files []*os.File }

// CommitLockTimeout is how long the second lock is retried, as Codex does.
// Tests shorten it.
var CommitLockTimeout = 5 * time.Second

// LockForCommit takes both locks in home. Release them with Unlock.
func LockForCommit(ctx context.Context, home string) (*CommitLock, error) {
	outer, err := os.OpenFile(filepath.Join(home, "auth.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open the Codex lock file: %w", err)
	}
	l := &CommitLock{files: []*os.File{outer}}
	// The blocking flock cannot be cancelled; run it aside so ctx still wins.
	got := make(chan error, 1)
	go func() { got <- flock(outer, true) }()
	select {
	case err := <-got:
		if err != nil {
			outer.Close()
			return nil, fmt.Errorf("cannot lock auth.lock: %w", err)
		}
	case <-ctx.Done():
		outer.Close() // closing the file releases a lock taken later
		return nil, ctx.Err()
	}
	inner, err := os.OpenFile(filepath.Join(home, "auth.json.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		l.Unlock()
		return nil, fmt.Errorf("cannot open the Codex lock file: %w", err)
	}
	l.files = append(l.files, inner)
	deadline := time.Now().Add(CommitLockTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := flock(inner, false)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, errLockBusy) {
			l.Unlock()
			return nil, fmt.Errorf("cannot lock auth.json.lock: %w", err)
		}
		if time.Now().After(deadline) {
			l.Unlock()
			return nil, ErrLockTimeout
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			l.Unlock()
			return nil, ctx.Err()
		}
	}
}

// Unlock releases the locks, inner first.
func (l *CommitLock) Unlock() {
	for i := len(l.files) - 1; i >= 0; i-- {
		l.files[i].Close()
	}
	l.files = nil
}

// BeforeRenameHook, for tests only, runs after the temp file is complete and
// before it replaces auth.json: the worst moment for a crash.
var BeforeRenameHook func()

// WriteAuthFile replaces path the way Codex does: a temp file .auth-XXXXXX
// (0600) in the same directory as the real file (following a symlink),
// fsync, rename. A crash leaves either the whole old or the whole new file.
func WriteAuthFile(path string, data []byte) error {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".auth-")
	if err != nil {
		return fmt.Errorf("cannot write the Codex login: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("cannot write the Codex login: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("cannot write the Codex login: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot write the Codex login: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write the Codex login: %w", err)
	}
	if BeforeRenameHook != nil {
		BeforeRenameHook()
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot write the Codex login: %w", err)
	}
	ok = true
	return nil
}

// removeStaleTemps deletes the .auth-* temp files a killed writer left
// beside auth.json. Call it only under the commit lock: every writer, Codex
// included, holds that lock while its temp file exists.
func (l *CommitLock) removeStaleTemps(authPath string) {
	dir := filepath.Dir(authPath)
	if real, err := filepath.EvalSymlinks(authPath); err == nil {
		dir = filepath.Dir(real)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, ".auth-*"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() {
			os.Remove(m)
		}
	}
}
