package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/codextray/codextray/core/platform"
	"github.com/codextray/codextray/core/userfile"
)

// Source says where credentials were found.
type Source string

const (
	SourceFile    Source = "file"
	SourceKeyring Source = "keyring"
	SourceNone    Source = "none"
)

// Keyring reads secrets from the OS keychain. ErrNotFound (go-keyring's)
// means there is no such entry.
type Keyring interface {
	Get(ctx context.Context, service, user string) (string, error)
}

// ErrKeyringUnavailable means no keychain answered (no Secret Service, no D-Bus).
var ErrKeyringUnavailable = errors.New("the OS keychain is not available")

// SystemKeyring is the OS keychain through go-keyring, with a timeout so that
// a missing or hung Secret Service cannot stall the caller.
type SystemKeyring struct{ Timeout time.Duration }

func (k SystemKeyring) Get(ctx context.Context, service, user string) (string, error) {
	// The value comes through a channel: after a timeout the call goes on
	// in its goroutine, and must not write to what this one returns.
	got := make(chan string, 1)
	err := k.call(ctx, func() error {
		v, err := keyring.Get(service, user)
		got <- v
		return err
	})
	if err != nil {
		return "", err
	}
	return <-got, nil
}

// Set stores value under service and user.
func (k SystemKeyring) Set(ctx context.Context, service, user, value string) error {
	return k.call(ctx, func() error { return keyring.Set(service, user, value) })
}

// Delete removes the entry; a missing one gives keyring.ErrNotFound.
func (k SystemKeyring) Delete(ctx context.Context, service, user string) error {
	return k.call(ctx, func() error { return keyring.Delete(service, user) })
}

// call runs a go-keyring call with the timeout, mapping every failure but
// ErrNotFound to ErrKeyringUnavailable.
func (k SystemKeyring) call(ctx context.Context, f func() error) error {
	if !sessionBusReachable() {
		return fmt.Errorf("%w: no D-Bus session bus", ErrKeyringUnavailable)
	}
	timeout := k.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return fmt.Errorf("%w: %v", ErrKeyringUnavailable, err)
		}
		return err
	case <-t.C:
		return fmt.Errorf("%w: no answer within %s", ErrKeyringUnavailable, timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Snapshot is one reading of the Codex login.
type Snapshot struct {
	Home   string
	Config Config
	Source Source
	Doc    *Document // nil when logged out or on error
	Err    error     // why the login could not be read
	// HomeMissing is set when CODEX_HOME does not exist (yet).
	HomeMissing bool
}

// Loader reads the Codex login from where Codex's configuration says it is.
type Loader struct {
	Home    string
	Keyring Keyring
	// ReadMarker, when set, is opened around every read of auth.json so
	// that a ReadWatch in any Codex Tray process knows the read for its
	// own (see ReadMarkerPath).
	ReadMarker string
}

// AuthPath is $CODEX_HOME/auth.json.
func (l *Loader) AuthPath() string { return filepath.Join(l.Home, AuthFileName) }

// Load reads config.toml and then the credentials, from the keyring or the
// file as the configured store says.
func (l *Loader) Load(ctx context.Context) Snapshot {
	s := Snapshot{Home: l.Home, Source: SourceNone, Config: Config{Store: StoreFile}}
	if fi, err := os.Stat(l.Home); err != nil || !fi.IsDir() {
		s.HomeMissing = true
		return s
	}
	cfg, err := LoadConfig(l.Home)
	s.Config = cfg
	if err != nil {
		s.Err = err
		return s
	}
	switch cfg.Store {
	case StoreEphemeral:
		return s // Codex keeps nothing on disk in this mode
	case StoreKeyring, StoreAuto:
		doc, err := l.loadKeyring(ctx)
		switch {
		case err == nil:
			s.Source, s.Doc = SourceKeyring, doc
			return s
		case cfg.Store == StoreKeyring:
			if !errors.Is(err, keyring.ErrNotFound) {
				s.Source, s.Err = SourceKeyring, err
			}
			return s
		}
		// auto: fall back to the file, as Codex does.
	}
	doc, err := readAuthFile(l.AuthPath(), readMarks(l.ReadMarker))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		s.Source, s.Err = SourceFile, err
	default:
		s.Source, s.Doc = SourceFile, doc
	}
	return s
}

func (l *Loader) loadKeyring(ctx context.Context) (*Document, error) {
	if l.Keyring == nil {
		return nil, ErrKeyringUnavailable
	}
	v, err := l.Keyring.Get(ctx, KeyringService, KeyringUser(l.Home))
	if err != nil {
		return nil, err
	}
	doc, err := ParseDocument([]byte(v))
	if err != nil {
		return nil, fmt.Errorf("the keychain entry of Codex: %w", err)
	}
	return doc, nil
}

// ReadAuthFile reads and parses auth.json, refusing anything over
// maxAuthFileSize. A missing file gives an error satisfying fs.ErrNotExist.
func ReadAuthFile(path string) (*Document, error) {
	return readAuthFile(path, "")
}

// readAuthFile is ReadAuthFile with its opening and its closing of the file
// each bracketed by read markers named after marks (see ReadWatch); ""
// for none.
func readAuthFile(path string, marks readMarks) (*Document, error) {
	var f *os.File
	var err error
	marks.around('o', func() { f, err = userfile.Open(path) })
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("cannot read %s: permission denied", path)
		}
		if errors.Is(err, userfile.ErrNotRegular) {
			return nil, fmt.Errorf("%s is not a regular file; Codex Tray does not read it", path)
		}
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	defer marks.around('c', func() { _ = f.Close() })
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > maxAuthFileSize {
		return nil, fmt.Errorf("%s is %s, more than the 1 MiB limit; it is not a Codex login", path, humanBytes(fi.Size()))
	}
	data, err := io.ReadAll(io.LimitReader(f, maxAuthFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if len(data) > maxAuthFileSize {
		return nil, fmt.Errorf("%s grew past the 1 MiB limit while being read", path)
	}
	return ParseDocument(data)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// sessionBusReachable is false when go-keyring would have to autolaunch a
// D-Bus session (platform.SessionBusReachable).
var sessionBusReachable = platform.SessionBusReachable

// OpenToOthers reports whether the file at path may be read or written by
// users other than its owner (group or other permission bits), with its
// permissions. Codex writes auth.json 0600; anything wider lets other
// local users take the login. Always false where files have no Unix mode.
func OpenToOthers(path string) (fs.FileMode, bool) {
	if runtime.GOOS == "windows" {
		return 0, false
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	return fi.Mode().Perm(), fi.Mode().Perm()&0o077 != 0
}
