package instance

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
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
