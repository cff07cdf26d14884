package auth

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO at auth.json or config.toml is refused at once: opening one for
// reading would wait for a writer, with every command (and its signals)
// stuck behind it.
func TestLoadRefusesFIFOs(t *testing.T) {
	for _, name := range []string{AuthFileName, "config.toml"} {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			if err := syscall.Mkfifo(filepath.Join(home, name), 0o600); err != nil {
				t.Fatal(err)
			}
			done := make(chan Snapshot, 1)
			go func() { done <- (&Loader{Home: home}).Load(context.Background()) }()
			select {
			case s := <-done:
				if s.Err == nil || !strings.Contains(s.Err.Error(), "not a regular file") {
					t.Fatalf("Load: %v, want a not-a-regular-file error", s.Err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("Load blocked on a FIFO at %s", name)
			}
		})
	}
}

// The app's own state files are refused as FIFOs too (a planted FIFO at
// the journal would stall every refresh).
func TestJournalRefusesFIFO(t *testing.T) {
	dir, home := t.TempDir(), t.TempDir()
	j := NewRefreshJournal(dir)
	if err := syscall.Mkfifo(j.Path(home), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := j.Load(home); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a FIFO journal loaded without error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the journal's Load blocked on a FIFO")
	}
	_ = os.Remove(j.Path(home))
}
