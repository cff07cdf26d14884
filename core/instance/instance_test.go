package instance

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSecondClaimHandsOverItsRequest(t *testing.T) {
	path := filepath.Join(shortTempDir(t), SocketName)
	srv, err := Claim(path, Request{})
	if err != nil {
		t.Fatalf("first claim: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	reqs := make(chan Request)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, reqs) }()

	got := make(chan error, 1)
	go func() {
		_, err := Claim(path, Request{Open: "status"})
		got <- err
	}()
	select {
	case r := <-reqs:
		if r.Open != "status" {
			t.Errorf("request = %+v, want open status", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the running instance got no request")
	}
	if err := <-got; !errors.Is(err, ErrHandedOver) {
		t.Fatalf("second claim = %v, want ErrHandedOver", err)
	}

	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve after cancel = %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file left behind after Serve ended (stat: %v)", err)
	}
}

func TestClaimReplacesAStaleSocket(t *testing.T) {
	path := filepath.Join(shortTempDir(t), SocketName)
	// A crashed instance leaves its socket file with nobody listening.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("stale socket not in place: %v", err)
	}

	srv, err := Claim(path, Request{})
	if err != nil {
		t.Fatalf("claim over a stale socket: %v", err)
	}
	defer srv.Close()
	if srv.Path() != path {
		t.Errorf("Path = %q, want %q", srv.Path(), path)
	}
}

func TestSocketPath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if got := SocketPath(env(map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"})); got != "/run/user/1000/codextray.sock" {
		t.Errorf("with XDG_RUNTIME_DIR: %q", got)
	}
	got := SocketPath(env(nil))
	if filepath.Dir(filepath.Dir(got)) != filepath.Clean(os.TempDir()) || filepath.Base(got) != SocketName {
		t.Errorf("without XDG_RUNTIME_DIR: %q, want it under %s in a per-user directory", got, os.TempDir())
	}
}

// shortTempDir keeps socket paths under the 108-byte limit of sun_path.
func shortTempDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "ct")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// squatter listens on path and answers every request "ok", as another
// user's planted socket would.
func squatter(t *testing.T, path string) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("ok\n"))
			c.Close()
		}
	}()
}

// With XDG_RUNTIME_DIR unset, the socket folder sits in the shared temp
// dir: a folder there that others may enter (another user made it, or
// opened it up) is refused, and no request goes to whoever listens in it.
func TestClaimRefusesASocketFolderOthersCanEnter(t *testing.T) {
	tmp := shortTempDir(t)
	t.Setenv("TMPDIR", tmp)
	path := SocketPath(func(string) string { return "" })
	if err := os.Mkdir(filepath.Dir(path), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(path), 0o777); err != nil { // past the umask
		t.Fatal(err)
	}
	squatter(t, path)
	_, err := Claim(path, Request{Open: "chat"})
	if err == nil || errors.Is(err, ErrHandedOver) || !strings.Contains(err.Error(), "other users may enter it") {
		t.Fatalf("Claim = %v, want a refusal of the folder", err)
	}
}

// A socket folder owned by someone else is refused whatever its mode.
func TestPrivateDirChecksTheOwner(t *testing.T) {
	dir := filepath.Join(shortTempDir(t), "codextray-x")
	if err := privateDir(dir, os.Getuid()); err != nil {
		t.Fatalf("own fresh folder: %v", err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("made with %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	err := privateDir(dir, os.Getuid()+1)
	if err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		t.Fatalf("someone else's folder: %v", err)
	}
	link := dir + "-link"
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if err := privateDir(link, os.Getuid()); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Fatalf("a symlink: %v", err)
	}
}
