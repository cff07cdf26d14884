package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/codextray/codextray/core/userfile"
)

var errLockBusy = errors.New("lock busy")

// ErrLockTimeout is Codex's "credential commit lock timed out"; the error
// that wraps it names the lock.
var ErrLockTimeout = errors.New("credential commit lock timed out")

// CommitLock is Codex's own lock protocol around every write of the login:
// a blocking flock on $CODEX_HOME/auth.lock, then a non-blocking flock on
// auth.json.lock retried every 10 ms for about 5 s. Codex takes the same
// locks, so it waits for us and we wait for it.
type CommitLock struct{ files []*os.File }

// DefaultCommitLockTimeout is how long the second lock is retried, as
// Codex does.
const DefaultCommitLockTimeout = 5 * time.Second

// lockForCommit takes both locks in home, retrying the second for timeout
// (DefaultCommitLockTimeout when zero). Release them with Unlock.
func lockForCommit(ctx context.Context, home string, timeout time.Duration) (*CommitLock, error) {
	return lockForCommitWithin(ctx, home, timeout, DefaultOuterLockWait)
}

// DefaultOuterLockWait bounds the wait for auth.lock. Codex holds it only
// around a write, for milliseconds (it never holds it through its refresh
// POST), and waits for it without a bound; a program holding it for
// minutes is stuck, and a refresh must not hang behind it for ever. Two
// minutes leaves room for slow starts (a refresh racing others under
// Wine, on a loaded machine, waited over 30 s behind legitimate holders).
const DefaultOuterLockWait = 2 * time.Minute

// lockForCommitWithin is lockForCommit with the wait for auth.lock bounded
// by outerWait.
func lockForCommitWithin(ctx context.Context, home string, timeout, outerWait time.Duration) (*CommitLock, error) {
	if timeout <= 0 {
		timeout = DefaultCommitLockTimeout
	}
	outer, err := os.OpenFile(filepath.Join(home, "auth.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open the Codex lock file: %w", err)
	}
	l := &CommitLock{files: []*os.File{outer}}
	// The blocking flock cannot be cancelled; run it aside so ctx and the
	// bound still win. A flock given up on stays with its goroutine, which
	// closes the file (releasing a lock taken late) once the call returns:
	// the file is never closed under a running flock.
	got := make(chan error, 1)
	var mu sync.Mutex
	abandoned := false
	go func() {
		err := flock(outer, true)
		mu.Lock()
		defer mu.Unlock()
		if abandoned {
			outer.Close()
			return
		}
		got <- err
	}()
	timer := time.NewTimer(outerWait)
	defer timer.Stop()
	giveUp := func(err error) (*CommitLock, error) {
		mu.Lock()
		defer mu.Unlock()
		select {
		case <-got: // taken (or failed) just now: release it
			outer.Close()
		default:
			abandoned = true
		}
		return nil, err
	}
	select {
	case err := <-got:
		if err != nil {
			outer.Close()
			return nil, fmt.Errorf("cannot lock auth.lock: %w", err)
		}
	case <-ctx.Done():
		return giveUp(ctx.Err())
	case <-timer.C:
		return giveUp(fmt.Errorf("%w: another program has held auth.lock for %s", ErrLockTimeout, outerWait))
	}
	inner, err := os.OpenFile(filepath.Join(home, "auth.json.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		l.Unlock()
		return nil, fmt.Errorf("cannot open the Codex lock file: %w", err)
	}
	l.files = append(l.files, inner)
	deadline := time.Now().Add(timeout)
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
			return nil, fmt.Errorf("%w: another program holds auth.json.lock", ErrLockTimeout)
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

// writeAuthFile replaces path the way Codex does: a temp file .auth-XXXXXX
// (0600) in the same directory as the real file (following a symlink),
// fsync, rename. A crash leaves either the whole old or the whole new file.
// beforeRename, when set, runs just before the rename (Refresher.BeforeRename).
func writeAuthFile(path string, data []byte, beforeRename func()) error {
	err := userfile.WriteAtomic(path, data, userfile.Atomic{Temp: authTempPrefix, FollowLink: true, Durable: true, BeforeRename: beforeRename})
	if err != nil {
		return fmt.Errorf("cannot write the Codex login: %w", err)
	}
	return nil
}

// authTempPrefix names the temp files Codex and Codex Tray write auth.json
// through; a killed writer's are removed under the commit lock.
const authTempPrefix = ".auth-"

// removeStaleTemps deletes the .auth-* temp files a killed writer left
// beside auth.json. Call it only under the commit lock: every writer, Codex
// included, holds that lock while its temp file exists.
func (l *CommitLock) removeStaleTemps(authPath string) {
	dir := filepath.Dir(authPath)
	if real, err := filepath.EvalSymlinks(authPath); err == nil {
		dir = filepath.Dir(real)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, authTempPrefix+"*"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() {
			os.Remove(m)
		}
	}
}
