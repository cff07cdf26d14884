package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/codextray/codextray/core/userfile"
)

// Codex re-reads auth.json without a lock right before it refreshes (its
// "guarded reload"), then posts the refresh token it read and takes its
// locks only to write the answer: 30 to 180 ms on this machine, more over
// the internet. A refresh by anyone else in that gap spends the token Codex
// is about to post, and Codex is told refresh_token_reused. No lock can
// close that gap from outside Codex, but the read that opens it can be
// seen: a ReadWatch notes every opening of auth.json by a program other than
// Codex Tray, and a refresh that sees one yields to it (see
// Refresher.refresh, after its settle under the locks).
const (
	// readSettle is how long a refresh listens, holding Codex's locks,
	// for another program reading auth.json before it spends the token.
	readSettle = 100 * time.Millisecond
	// ForeignReadGrace is how long after another program read auth.json a
	// refresh waits for that program's new login.
	ForeignReadGrace = 5 * time.Second
	// maxYield bounds all the waiting of one refresh for other readers: a
	// program that reads auth.json over and over cannot hold it off longer.
	maxYield = 15 * time.Second
)

// bracketTTL: a Codex Tray read opens and closes its marker within
// microseconds; a marker left open longer (its process died) vouches for
// nothing.
const bracketTTL = time.Second

// ErrReadWatchUnsupported: this system cannot report who opens a file.
var ErrReadWatchUnsupported = errors.New("watching reads of auth.json is not supported on this system")

// ReadWatch tells reads of auth.json by other programs from Codex Tray's
// own. A Codex Tray read (Loader with ReadMarker set) opens a marker of its
// own just before it opens auth.json and closes it just after, and does
// the same around its closing of auth.json; each marker has a unique name,
// so the kernel never merges its events with another's. The watch sees
// both directories in one ordered event queue: an opening (or closing) of
// auth.json is Codex Tray's while some open marker of that kind still
// waits for its event, and another program's otherwise. It remembers the
// last such read since the current login was written. A nil ReadWatch has
// seen nothing.
//
// Two identical events queued back to back are merged into one, so a
// foreign read whose opening and closing both land within the microseconds
// of Codex Tray's brackets can pass for Codex Tray's own.
type ReadWatch struct {
	mu sync.Mutex
	// opens and closes account for the markers around Codex Tray's
	// openings and closings of auth.json.
	opens, closes tally
	foreign       time.Time // last foreign read of the current document; zero if none
	nForeign      int       // foreign reads seen, for tests
	docAt         time.Time // when the current document appeared (zero: before the watch)
	// shared is the file where every Codex Tray process's watch records
	// the last foreign read it saw (ForeignReadPath), so that a process
	// whose own queue merged that read away, or that started after it,
	// still yields; identity names the auth.json a record is about.
	shared   string
	identity func() string
	changed  chan struct{}
	stop     func() error
	closed   bool
}

func newReadWatch(shared string, identity func() string, stop func() error) *ReadWatch {
	return &ReadWatch{opens: tally{open: map[string]time.Time{}}, closes: tally{open: map[string]time.Time{}}, shared: shared, identity: identity, changed: make(chan struct{}), stop: stop}
}

// sharedRead is the record at ForeignReadPath.
type sharedRead struct {
	At      time.Time `json:"read_at"`
	AuthDoc string    `json:"auth_json"` // device, inode, size and mtime of the auth.json read
}

// publish records a foreign read at at for the other processes. Several
// processes may write at once; each write is whole (rename), and any of
// them says a read happened.
func (w *ReadWatch) publish(at time.Time) {
	if w.shared == "" {
		return
	}
	raw, _ := json.Marshal(sharedRead{At: at, AuthDoc: w.identity()})
	_ = userfile.WriteAtomic(w.shared, raw, userfile.Atomic{})
}

// sharedForeign is the last foreign read another process's watch recorded
// for the auth.json there is now; zero if none.
func (w *ReadWatch) sharedForeign() time.Time {
	if w.shared == "" {
		return time.Time{}
	}
	raw, err := userfile.Read(w.shared, 4<<10)
	if err != nil {
		return time.Time{}
	}
	var r sharedRead
	if json.Unmarshal(raw, &r) != nil || r.AuthDoc == "" || r.AuthDoc != w.identity() {
		return time.Time{}
	}
	return r.At
}

// Close stops the watch.
func (w *ReadWatch) Close() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	return w.stop()
}

// signal wakes everyone waiting on the last changed channel. Called with mu.
func (w *ReadWatch) signal() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// tally is one kind of marker (around openings, or around closings): the
// markers open now, with when they were opened, and how many of them have
// not had their event on auth.json yet (which ones is unknown: two reads'
// events interleave).
type tally struct {
	open    map[string]time.Time
	pending int
}

func (t *tally) opened(name string, at time.Time) {
	if _, seen := t.open[name]; seen {
		return // found at the watch's start, and its event came too
	}
	t.open[name] = at
	t.pending++
}

// closed: that read's event on auth.json has come by now, if it happened.
func (t *tally) closed(name string) {
	delete(t.open, name)
	t.pending = min(t.pending, len(t.open))
}

// claim reports whether an event on auth.json at at is Codex Tray's.
func (t *tally) claim(at time.Time) bool {
	for name, opened := range t.open {
		if at.Sub(opened) > bracketTTL {
			delete(t.open, name) // its process died inside the read
		}
	}
	t.pending = min(t.pending, len(t.open))
	if t.pending > 0 {
		t.pending--
		return true
	}
	return false
}

// marker is an event on a read marker: kind 'o' or 'c', opened or closed.
func (w *ReadWatch) marker(name string, opened bool, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := &w.opens
	if strings.HasSuffix(name, "c") {
		t = &w.closes
	}
	if opened {
		t.opened(name, at)
	} else {
		t.closed(name)
	}
}

// authEvent accounts for an opening (or, with closing, a closing after a
// read) of auth.json seen at at, and reports whether it was another
// program's. A foreign read is seen if either of its two events is: the
// kernel may merge one of them with Codex Tray's, hardly both.
func (w *ReadWatch) authEvent(closing bool, at time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := &w.opens
	if closing {
		t = &w.closes
	}
	if t.claim(at) {
		return false
	}
	w.foreign = at
	w.nForeign++
	w.signal()
	return true
}

// unknown: events were lost (queue overflow); assume a foreign read.
func (w *ReadWatch) unknown(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.foreign = at
	w.signal()
}

// documentChanged: auth.json was replaced, rewritten or removed.
func (w *ReadWatch) documentChanged(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.foreign = time.Time{}
	w.docAt = at
	w.signal()
}

// LastForeignRead is when another program last opened the current auth.json
// as this watch, or another Codex Tray process's, saw it; zero when none did.
func (w *ReadWatch) LastForeignRead() time.Time {
	if w == nil {
		return time.Time{}
	}
	w.mu.Lock()
	own := w.foreign
	w.mu.Unlock()
	if other := w.sharedForeign(); other.After(own) {
		return other
	}
	return own
}

// next returns the channel closed at the next foreign read or change of
// auth.json.
func (w *ReadWatch) next() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

// yieldUntil listens until settled (cutting it short at a foreign read) and
// then says until when a refresh should wait for another program: zero
// when nobody else read the current auth.json within ForeignReadGrace, or
// when limit has passed.
func (w *ReadWatch) yieldUntil(ctx context.Context, settled, limit time.Time) time.Time {
	if w == nil {
		return time.Time{}
	}
	for {
		now := time.Now()
		if f := w.LastForeignRead(); !f.IsZero() && now.Sub(f) < ForeignReadGrace {
			if !now.Before(limit) {
				return time.Time{}
			}
			return minTime(f.Add(ForeignReadGrace), limit)
		}
		if !now.Before(settled) {
			return time.Time{}
		}
		ch := w.next()
		t := time.NewTimer(settled.Sub(now))
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return time.Time{}
		}
		t.Stop()
	}
}

// awaitDocument waits until auth.json changes or until the deadline; it
// reports whether it changed.
func (w *ReadWatch) awaitDocument(ctx context.Context, deadline time.Time) bool {
	w.mu.Lock()
	start := w.docAt
	w.mu.Unlock()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for {
		w.mu.Lock()
		changed, ch := w.docAt != start, w.changed
		w.mu.Unlock()
		if changed {
			return true
		}
		select {
		case <-ch:
		case <-t.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

var markerSeq atomic.Uint64

// readMarks is the prefix of the read markers (ReadMarkerPath); "" makes
// none.
type readMarks string

// around runs step (the opening of auth.json, kind 'o', or its closing,
// 'c') inside a marker of its own: a new empty file opened before and
// closed and removed after. An unusable marker only makes Codex Tray's
// read look like another program's, which delays a refresh and breaks
// nothing.
func (m readMarks) around(kind byte, step func()) {
	if m == "" {
		step()
		return
	}
	path := fmt.Sprintf("%s-%d-%d%c", m, os.Getpid(), markerSeq.Add(1), kind)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600)
	step()
	if err == nil {
		_ = f.Close()
		_ = os.Remove(path)
	}
}
