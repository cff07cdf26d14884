// Package appserver talks to `codex app-server`, Codex's own JSON-RPC API
// over stdio (docs/codex-today.md §5), so that Codex itself signs in, signs out
// and refreshes, storing the tokens in whatever store its config chose.
//
// A Client owns one app-server process. It lives only as long as the call
// or the sign-in that needed it: Close (or the end of the context Start was
// given) ends it, with every process it started (its process group), and
// waits for it. Were Codex Tray itself to die, app-server sees its stdin
// close and exits too.
package appserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/codextray/codextray/internal/tail"
)

// ClientName is the clientInfo name Codex Tray introduces itself with;
// Codex sends it as the originator of its requests.
const ClientName = "codex_tray"

// MinVersion is the oldest Codex CLI whose app-server was checked to offer
// every method used here (account/login/start with chatgptDeviceCode,
// account/login/cancel, account/logout, account/read with refreshToken).
const MinVersion = "0.171.0"

// Options say which Codex to run and how.
type Options struct {
	Codex         string   // the Codex CLI's path
	Env           []string // the environment; nil: this process's
	ClientVersion string   // Codex Tray's version, sent in clientInfo
	// Stderr receives app-server's diagnostics; nil keeps only the last
	// few kilobytes, for error messages.
	Stderr io.Writer
	// StartTimeout bounds the start and the initialize handshake (default
	// 30 s).
	StartTimeout time.Duration
}

// Notification is a message from app-server that answers no request.
type Notification struct {
	Method string
	Params json.RawMessage
}

// RPCError is an error app-server answered a request with.
type RPCError struct {
	Method  string
	Code    int
	Message string
}

func (e *RPCError) Error() string {
	return fmt.Sprintf("Codex answered %s with an error: %s", e.Method, scrub(e.Message))
}

// ErrClosed is returned for calls on a closed client.
var ErrClosed = errors.New("the Codex app-server connection is closed")

// Client is a running `codex app-server`.
type Client struct {
	opts   Options
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	tail   *tail.Buffer
	notes  chan Notification
	exited chan struct{} // closed once the process has been waited for

	writeMu sync.Mutex
	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan response
	closing bool
	waitErr error // the process's exit, once exited is closed
}

type response struct {
	Result json.RawMessage
	Err    *RPCError
}

// Start runs `codex app-server`, introduces Codex Tray (initialize with
// clientInfo, then initialized) and returns the client. When ctx ends, the
// process is ended.
func Start(ctx context.Context, opts Options) (*Client, error) {
	if opts.Codex == "" {
		return nil, ErrNoCodex
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 30 * time.Second
	}
	cmd := exec.Command(opts.Codex, "app-server")
	if opts.Env != nil {
		cmd.Env = opts.Env
	}
	configureProcess(cmd)
	tail := tail.New(8 << 10)
	if opts.Stderr != nil {
		cmd.Stderr = io.MultiWriter(opts.Stderr, tail)
	} else {
		cmd.Stderr = tail
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, &LoginError{Kind: KindNoCodex, Detail: err.Error()}
	}
	c := &Client{
		opts: opts, cmd: cmd, stdin: stdin, tail: tail,
		notes: make(chan Notification, 64), exited: make(chan struct{}),
		pending: map[int64]chan response{},
	}
	go c.read(stdout)
	go func() {
		select {
		case <-ctx.Done():
			c.kill()
		case <-c.exited:
		}
	}()

	ictx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	params := map[string]any{
		"clientInfo": map[string]any{"name": ClientName, "title": "Codex Tray", "version": opts.ClientVersion},
	}
	if err := c.Call(ictx, "initialize", params, nil); err != nil {
		c.Close()
		return nil, c.startError(ctx, err)
	}
	if err := c.notify("initialized", nil); err != nil {
		c.Close()
		return nil, c.startError(ctx, err)
	}
	return c, nil
}

// startError explains why app-server did not come up.
func (c *Client) startError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &LoginError{Kind: KindCancelled}
	}
	var le *LoginError
	if errors.As(err, &le) && le.Kind == KindCrashed {
		// An old Codex has no app-server subcommand: clap says so and
		// exits before a single line of JSON.
		tail := c.tail.String()
		if strings.Contains(tail, "unrecognized subcommand") || strings.Contains(tail, "unexpected argument") {
			return c.tooOld()
		}
	}
	var re *RPCError
	if errors.As(err, &re) {
		return &LoginError{Kind: KindFailed, Detail: "Codex did not accept Codex Tray as a client: " + scrub(re.Message)}
	}
	return err
}

// tooOld is the error for a Codex whose app-server lacks a method.
func (c *Client) tooOld() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, _ := Version(ctx, c.opts.Codex, c.opts.Env)
	return &LoginError{Kind: KindTooOld, Detail: v}
}

// Notifications delivers app-server's notifications, in order; it is
// closed when the process has exited.
func (c *Client) Notifications() <-chan Notification { return c.notes }

// Exited is closed once the process has exited.
func (c *Client) Exited() <-chan struct{} { return c.exited }

// PID is the app-server process's id.
func (c *Client) PID() int { return c.cmd.Process.Pid }

// Call sends a request and waits for its answer, decoded into result
// (which may be nil). An app-server that exits first fails the call with
// a KindCrashed LoginError.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return ErrClosed
	}
	c.nextID++
	id := c.nextID
	ch := make(chan response, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if err := c.write(msg); err != nil {
		// A broken pipe means app-server closed its input, most often by
		// exiting: give the exit a moment to be seen, so that a crash, or
		// an old Codex refusing the subcommand, is reported as such.
		t := time.NewTimer(2 * time.Second)
		defer t.Stop()
		select {
		case <-c.exited:
			return c.crashed()
		case <-t.C:
			return fmt.Errorf("cannot talk to Codex's app-server: %w", err)
		}
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			r.Err.Method = method
			if isUnknownMethod(r.Err) {
				return c.tooOld()
			}
			return r.Err
		}
		if result != nil && len(r.Result) > 0 {
			if err := json.Unmarshal(r.Result, result); err != nil {
				return fmt.Errorf("the answer of Codex's app-server to %s cannot be read: %w", method, err)
			}
		}
		return nil
	case <-c.exited:
		// The answer may have arrived just before the exit.
		select {
		case r := <-ch:
			if r.Err == nil {
				if result != nil && len(r.Result) > 0 {
					_ = json.Unmarshal(r.Result, result)
				}
				return nil
			}
		default:
		}
		if c.isClosing() {
			return ErrClosed
		}
		return c.crashed()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// isUnknownMethod: app-server rejects a method it does not know with
// JSON-RPC's -32601 or serde's "unknown variant".
func isUnknownMethod(e *RPCError) bool {
	return e.Code == -32601 || strings.Contains(e.Message, "unknown variant") || strings.Contains(strings.ToLower(e.Message), "method not found")
}

func (c *Client) crashed() error {
	c.mu.Lock()
	err := c.waitErr
	c.mu.Unlock()
	detail := "it exited"
	if err != nil {
		detail = err.Error()
	}
	if last := lastLine(c.tail.String()); last != "" && looksLikeError(last) {
		detail += ": " + scrub(last)
	}
	return &LoginError{Kind: KindCrashed, Detail: detail}
}

func (c *Client) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

func (c *Client) notify(method string, params any) error {
	msg := map[string]any{"method": method}
	if params != nil {
		msg["params"] = params
	}
	return c.write(msg)
}

func (c *Client) write(msg map[string]any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_, err = c.stdin.Write(append(b, '\n'))
	return err
}

// read dispatches app-server's lines until its stdout closes, then waits
// for the process.
func (c *Client) read(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var m struct {
			ID     *json.RawMessage `json:"id"`
			Method string           `json:"method"`
			Params json.RawMessage  `json:"params"`
			Result json.RawMessage  `json:"result"`
			Error  *struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		switch {
		case m.ID != nil && m.Method == "":
			var id int64
			if json.Unmarshal(*m.ID, &id) != nil {
				continue
			}
			r := response{Result: m.Result}
			if m.Error != nil {
				r.Err = &RPCError{Code: m.Error.Code, Message: m.Error.Message}
			}
			c.mu.Lock()
			ch := c.pending[id]
			c.mu.Unlock()
			if ch != nil {
				ch <- r
			}
		case m.ID != nil:
			// A request from app-server (an approval): Codex Tray runs
			// no turns, so it declines anything asked.
			_ = c.write(map[string]any{"id": m.ID, "error": map[string]any{"code": -32601, "message": "Codex Tray does not handle " + m.Method}})
		default:
			select {
			case c.notes <- Notification{Method: m.Method, Params: m.Params}:
			default:
				// Nobody reads (rate-limit updates during a sign-in):
				// dropping beats blocking the answers behind them.
			}
		}
	}
	// Drain so that a process writing more never blocks on a full pipe.
	_, _ = io.Copy(io.Discard, stdout)
	err := c.cmd.Wait()
	c.mu.Lock()
	c.waitErr = err
	c.mu.Unlock()
	close(c.notes)
	close(c.exited)
}

// Close ends app-server: stdin is closed, which ends it within a moment;
// if it has not exited within two seconds its process group is killed.
// Close returns once the process has been waited for. Safe to call twice.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	_ = c.stdin.Close()
	select {
	case <-c.exited:
	case <-time.After(2 * time.Second):
		c.kill()
		<-c.exited
	}
	// Whatever the launcher started may outlive it (npm's node launcher
	// and its native child): end the whole group.
	killGroup(c.cmd)
	return nil
}

// kill ends the process group at once.
func (c *Client) kill() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	killGroup(c.cmd)
	_ = c.cmd.Process.Kill()
}

// Version runs `codex --version` and returns the version it prints
// ("0.171.0"), or "" when it prints none.
func Version(ctx context.Context, codex string, env []string) (string, error) {
	cmd := exec.CommandContext(ctx, codex, "--version")
	if env != nil {
		cmd.Env = env
	}
	configureProcess(cmd)
	out, err := cmd.Output()
	if err != nil {
		return "", err
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return "", nil
	}
	return f[len(f)-1], nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(stripANSI(lines[i])); l != "" {
			if len(l) > 300 {
				l = l[:300] + "…"
			}
			return l
		}
	}
	return ""
}

// looksLikeError: app-server's stderr also carries warnings that would
// only confuse an error message.
func looksLikeError(line string) bool {
	l := strings.ToLower(line)
	return !strings.HasPrefix(l, "warning") && (strings.Contains(l, "error") || strings.Contains(l, "panic"))
}

func stripANSI(s string) string {
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
