// Package winhost runs the app's windows in a child process, the window
// host, started when a window is asked for and gone when the last one
// closes. The tray process then holds no GUI toolkit at all while it idles:
// no GL context and no event loop ticking at 60 Hz.
//
// The tray writes one JSON request per line to the host's stdin; the host
// answers "done SEQ" on its stdout once it handled a request, writes
// "event NAME" there when something the tray shows changed in the host
// (EventUsage: a redeem reset the usage windows), and exits
// when it has nothing open, or when its stdin ends (the tray quit or died).
// A request the host did not answer before it exited is sent again to a new
// host, so a click that races the host's exit is never lost; a host that
// does not answer within answerWithin is taken for hung and replaced.
package winhost

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/codextray/codextray/internal/tail"
)

// Request is one thing for the window host to do: open a window, or show a
// notification where the tray process cannot send one itself.
type Request struct {
	Seq    uint64  `json:"seq"`
	Open   string  `json:"open,omitempty"` // "chat", "status", "settings", "signin"
	Notify *Notice `json:"notify,omitempty"`
}

// Notice is a desktop notification.
type Notice struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// EventUsage: the usage changed in the window host (a reset credit was
// redeemed there); the tray reads it again rather than waiting for its
// next poll.
const EventUsage = "usage"

// maxRestarts is how many hosts in a row may exit without answering before
// the client gives up on the requests they had.
const maxRestarts = 3

// answerWithin is how long a host has to answer a request (its start, a
// window's first draw) before it is taken for hung, killed, and the
// request handed to a new one.
var answerWithin = 30 * time.Second

// Client starts the window host on demand and hands it requests; the tray
// process's side. Its methods are safe for concurrent use.
type Client struct {
	start func() *exec.Cmd
	// failed is told why a request could not be handled (the host would
	// not start, or kept exiting); it must not block.
	failed func(error)
	// OnEvent, when set before the first request, hears the host's events
	// (EventUsage) from the goroutine reading its answers; it must not
	// block.
	OnEvent func(name string)

	mu       sync.Mutex
	cmd      *exec.Cmd
	in       io.WriteCloser
	seq      uint64
	pending  []Request // sent to the current host, not answered yet
	restarts int       // hosts in a row that exited with requests pending
	closed   bool
	exited   chan struct{} // closed when the current host has exited
	stderr   *tail.Buffer
}

// NewClient returns a client that starts hosts with start; failed (may be
// nil) hears about requests that could not be handled.
func NewClient(start func() *exec.Cmd, failed func(error)) *Client {
	if failed == nil {
		failed = func(error) {}
	}
	return &Client{start: start, failed: failed}
}

// Open asks the host to open a window.
func (c *Client) Open(what string) { c.send(Request{Open: what}) }

// Notify asks the host to show a notification.
func (c *Client) Notify(n Notice) { c.send(Request{Notify: &n}) }

// Running reports whether a host process is running now.
func (c *Client) Running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cmd != nil
}

func (c *Client) send(r Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.seq++
	r.Seq = c.seq
	if c.cmd == nil {
		if err := c.startLocked(); err != nil {
			c.failed(err)
			return
		}
	}
	c.pending = append(c.pending, r)
	c.writeLocked(r)
	c.watchLocked(r.Seq)
}

// watchLocked kills the current host if it has not answered seq in time.
func (c *Client) watchLocked(seq uint64) {
	cmd := c.cmd
	time.AfterFunc(answerWithin, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.cmd != cmd || cmd == nil {
			return
		}
		for _, r := range c.pending {
			if r.Seq == seq {
				_ = cmd.Process.Kill() // wait hands its requests to a new host
				return
			}
		}
	})
}

// writeLocked writes r to the host; a host that has gone sees its pending
// requests again in a new host when its exit is noticed.
func (c *Client) writeLocked(r Request) {
	line, err := json.Marshal(r)
	if err != nil {
		return
	}
	_, _ = c.in.Write(append(line, '\n'))
}

func (c *Client) startLocked() error {
	if c.start == nil {
		return errors.New("the windows cannot be opened: no window host")
	}
	cmd := c.start()
	in, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("starting the window host: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("starting the window host: %w", err)
	}
	c.stderr = tail.New(4096)
	if cmd.Stderr == nil {
		cmd.Stderr = c.stderr
	} else {
		cmd.Stderr = io.MultiWriter(cmd.Stderr, c.stderr)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the window host: %w", err)
	}
	c.cmd, c.in, c.exited = cmd, in, make(chan struct{})
	done := make(chan struct{})
	go c.readAnswers(cmd, out, done)
	go c.wait(cmd, done, c.exited, c.stderr)
	return nil
}

// readAnswers takes "done SEQ" lines off the host's stdout.
func (c *Client) readAnswers(cmd *exec.Cmd, out io.Reader, done chan<- struct{}) {
	defer close(done)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if name, ok := strings.CutPrefix(sc.Text(), "event "); ok {
			if c.OnEvent != nil {
				c.OnEvent(name)
			}
			continue
		}
		seq, ok := strings.CutPrefix(sc.Text(), "done ")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(seq, 10, 64)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.cmd == cmd {
			c.restarts = 0
			for i, r := range c.pending {
				if r.Seq == n {
					c.pending = append(c.pending[:i:i], c.pending[i+1:]...)
					break
				}
			}
		}
		c.mu.Unlock()
	}
}

// wait notes the host's exit and hands what it left unanswered to a new
// one.
func (c *Client) wait(cmd *exec.Cmd, answersRead <-chan struct{}, exited chan struct{}, stderr *tail.Buffer) {
	<-answersRead // every answer it wrote is counted before its exit is
	err := cmd.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	close(exited)
	if c.cmd != cmd {
		return
	}
	c.cmd, c.in = nil, nil
	if c.closed || len(c.pending) == 0 {
		return
	}
	c.restarts++
	if c.restarts > maxRestarts {
		c.pending, c.restarts = nil, 0
		c.failed(hostError(err, stderr))
		return
	}
	if err := c.startLocked(); err != nil {
		c.pending = nil
		c.failed(err)
		return
	}
	for _, r := range c.pending {
		c.writeLocked(r)
		c.watchLocked(r.Seq)
	}
}

// Close ends the host: its stdin is closed, and it is killed if it has not
// exited within grace.
func (c *Client) Close(grace time.Duration) {
	c.mu.Lock()
	c.closed = true
	cmd, in, exited := c.cmd, c.in, c.exited
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = in.Close()
	select {
	case <-exited:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-exited
	}
}

func hostError(err error, stderr *tail.Buffer) error {
	msg := "the window host kept exiting"
	if err != nil {
		msg += " (" + err.Error() + ")"
	}
	if tail := strings.TrimSpace(stderr.String()); tail != "" {
		if i := strings.LastIndexByte(tail, '\n'); i >= 0 {
			tail = tail[i+1:]
		}
		msg += ": " + tail
	}
	return errors.New(msg)
}

// Server is the window host's side of the pipe: it reads the tray's
// requests and writes the answers and events. Its methods are safe for
// concurrent use.
type Server struct {
	mu  sync.Mutex
	out io.Writer
}

// NewServer returns a server writing to out (the host's stdout).
func NewServer(out io.Writer) *Server { return &Server{out: out} }

// Event tells the tray that something it shows changed (EventUsage).
func (s *Server) Event(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.out, "event %s\n", name)
}

// Serve reads the tray's requests from in and hands each to handle, which
// must call the returned done func once the request is handled (answered
// on out). It returns when in ends: the tray has quit.
func Serve(in io.Reader, out io.Writer, handle func(r Request, done func())) error {
	return NewServer(out).Serve(in, handle)
}

// Serve is the package's Serve on the server's out.
func (s *Server) Serve(in io.Reader, handle func(r Request, done func())) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var r Request
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			continue
		}
		seq := r.Seq
		handle(r, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			fmt.Fprintf(s.out, "done %d\n", seq)
		})
	}
	return sc.Err()
}
