// Package instance keeps Codex Tray to one running copy per user: the first
// start listens on a local socket in the user's runtime directory, and a
// later start hands its request ("open the chat window") to it and exits.
package instance

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Request is what a later start asks of the running instance.
type Request struct {
	// Open names a window to show: "chat", "status", or "" for the
	// default (a plain second start opens the chat).
	Open string `json:"open"`
}

// ErrHandedOver is returned by Claim when another instance is running and
// has accepted the request; the caller should exit successfully.
var ErrHandedOver = errors.New("codextray is already running; the request was handed to it")

// SocketName is the socket's file name inside the runtime directory.
const SocketName = "codextray.sock"

// exchangeTimeout bounds one request/answer exchange on the socket.
const exchangeTimeout = 3 * time.Second

// SocketPath is where the running instance listens: $XDG_RUNTIME_DIR, else a
// private directory under the temp dir named with the user's id. The temp
// dir is shared by every user, so anyone could create that directory
// first: Claim checks that it is the user's own and closed to others.
func SocketPath(getenv func(string) string) string {
	if dir := getenv("XDG_RUNTIME_DIR"); dir != "" {
		return filepath.Join(dir, SocketName)
	}
	return filepath.Join(os.TempDir(), "codextray-"+strconv.Itoa(os.Getuid()), SocketName)
}

// Server is the running instance's end of the socket.
type Server struct {
	ln   net.Listener
	path string
	once sync.Once
}

// Claim makes this process the running instance, listening on path, or, if
// another instance answers there, hands req to it and returns ErrHandedOver.
// A socket left behind by a crashed instance is replaced.
func Claim(path string, req Request) (*Server, error) {
	// Whoever controls the folder controls who answers on the socket: a
	// squatter's "ok" would swallow the request and end this start.
	if err := privateDir(filepath.Dir(path), os.Getuid()); err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 3; attempt++ {
		err := Send(path, req)
		if err == nil {
			return nil, ErrHandedOver
		}
		if socketsUnsupported(err) {
			// Windows before 10 (1803) and Wine have no local sockets:
			// run unguarded rather than not at all.
			fmt.Fprintf(os.Stderr, "codextray: this system has no local sockets (%v); a second start will run a second copy\n", err)
			return &Server{path: path}, nil
		}
		if !isNobodyThere(err) {
			return nil, fmt.Errorf("reaching the running codextray at %s: %w", path, err)
		}
		_ = os.Remove(path) // stale: nobody accepts on it
		ln, err := net.Listen("unix", path)
		if err == nil {
			return &Server{ln: ln, path: path}, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("listening on %s: %w", path, err)
		}
		// Another instance started at the same moment; ask it instead.
	}
	return nil, fmt.Errorf("cannot claim %s: another codextray keeps starting and stopping", path)
}

// privateDir makes dir (mode 0700) if it does not exist, and checks that
// it is a folder (not a symlink) owned by uid that no one else may enter.
func privateDir(dir string, uid int) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("cannot make the folder for codextray's socket: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("cannot make the folder for codextray's socket: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("cannot check the folder of codextray's socket: %w", err)
	}
	const fix = "Remove it, or set XDG_RUNTIME_DIR to a folder of your own."
	if !fi.IsDir() {
		return fmt.Errorf("codextray does not use %s for its socket: it is not a folder (a symlink?). %s", dir, fix)
	}
	if owner, ok := fileOwner(fi); ok && owner != uid {
		return fmt.Errorf("codextray does not use %s for its socket: it belongs to another user (uid %d). %s", dir, owner, fix)
	}
	if perm := fi.Mode().Perm(); checkMode && perm&0o077 != 0 {
		return fmt.Errorf("codextray does not use %s for its socket: other users may enter it (mode %04o). %s", dir, perm, fix)
	}
	return nil
}

func isNobodyThere(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) || errors.Is(err, os.ErrNotExist)
}

// Send hands req to the instance listening on path and waits for its
// acknowledgement.
func Send(path string, req Request) error {
	conn, err := net.DialTimeout("unix", path, exchangeTimeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(exchangeTimeout))
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("no answer from the running codextray: %w", err)
	}
	if line != "ok\n" {
		return fmt.Errorf("the running codextray answered %q", line)
	}
	return nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// Serve delivers each request to out until ctx ends, then closes the socket
// and removes its file. It owns every connection goroutine it starts.
func (s *Server) Serve(ctx context.Context, out chan<- Request) error {
	if s.ln == nil { // no local sockets: nothing can arrive
		<-ctx.Done()
		return nil
	}
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.handle(ctx, conn, out)
		}()
	}
}

func (s *Server) handle(ctx context.Context, conn net.Conn, out chan<- Request) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(exchangeTimeout))
	var req Request
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&req); err != nil {
		return
	}
	select {
	case out <- req:
		_, _ = conn.Write([]byte("ok\n"))
	case <-ctx.Done():
	}
}

// Close stops listening and removes the socket file; it is safe to call
// more than once.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		if s.ln == nil {
			return
		}
		err = s.ln.Close()
		_ = os.Remove(s.path)
	})
	return err
}
