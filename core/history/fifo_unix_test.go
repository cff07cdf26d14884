//go:build unix

package history

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Special files where the database goes are refused without being opened
// (a FIFO would hang the first read) and left where they are.
func TestSpecialFileIsRefusedNotOpened(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	must(t, syscall.Mkfifo(path, 0o600))
	done := make(chan error, 1)
	go func() {
		s, err := Open(ctx, path)
		if err == nil {
			s.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Open hangs on a FIFO")
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Error("the FIFO was moved")
	}
	noBackups(t, path)
}
