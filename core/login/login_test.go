package login

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
)

// TestWatchFinishesInterruptedRefresh: a refresh's write failed after the
// token server answered, leaving the new login in the journal. The tray's
// Watch (MaintainMirror) writes it as soon as it sees the login, and its
// first status is already the new login's; a status command's Watch only
// reports and leaves the journal for the next refresh.
func TestWatchFinishesInterruptedRefresh(t *testing.T) {
	for _, maintain := range []bool{true, false} {
		t.Run(fmt.Sprintf("MaintainMirror=%v", maintain), func(t *testing.T) {
			home := t.TempDir()
			authPath := filepath.Join(home, auth.AuthFileName)
			const rt = "rt_login_watch_original_0001"
			old := authtest.Login{Expires: time.Now().Add(2 * time.Minute).Truncate(time.Second), RefreshToken: rt}.Document()
			if err := authtest.WriteAtomic(authPath, old); err != nil {
				t.Fatal(err)
			}
			srv := authtest.NewTokenServer(t, rt)
			loader := &auth.Loader{Home: home}
			journal := auth.NewRefreshJournal(t.TempDir())
			s := &Service{Home: home, Loader: loader, Mirror: &auth.Mirror{Home: home},
				Refresher: &auth.Refresher{Loader: loader, TokenURL: srv.TokenURL(), Journal: journal, Attempts: 1}}

			// The write fails at its last step: the temp file is gone at the rename.
			s.Refresher.BeforeRename = func() {
				m, _ := filepath.Glob(filepath.Join(home, ".auth-*"))
				for _, p := range m {
					os.Remove(p)
				}
			}
			_, err := s.Refresher.Refresh(context.Background(), nil, "forced")
			s.Refresher.BeforeRename = nil
			if err == nil || !journal.Pending(home) {
				t.Fatalf("the failed write left no journal (err %v)", err)
			}

			ctx, cancel := context.WithCancel(context.Background())
			out := make(chan auth.Status, 16)
			done := make(chan error, 1)
			go func() { done <- s.Watch(ctx, Settings{MaintainMirror: maintain}, out) }()
			defer func() {
				cancel()
				for range out {
				}
				<-done
			}()
			var st auth.Status
			select {
			case st = <-out:
			case <-time.After(10 * time.Second):
				t.Fatal("no status within 10 s")
			}
			now, err := os.ReadFile(authPath)
			if err != nil {
				t.Fatal(err)
			}
			if maintain {
				if !srv.IsIssued(st.ExpiresAt) {
					t.Errorf("the first status is not the refreshed login's (expires %s)", st.ExpiresAt)
				}
				if doc, err := auth.ParseDocument(now); err != nil || doc.Tokens.RefreshToken.Reveal() != srv.Current() {
					t.Errorf("auth.json does not hold the refreshed login (err %v)", err)
				}
				if journal.Pending(home) {
					t.Errorf("the journal is still there")
				}
			} else {
				if !bytes.Equal(now, old) || !journal.Pending(home) {
					t.Errorf("a status-only Watch wrote the login (%v) or dropped the journal (%v)", !bytes.Equal(now, old), !journal.Pending(home))
				}
			}
			if c := srv.Counts(); c.Calls != 1 {
				t.Errorf("token server: %v, want the failed refresh's POST only", c)
			}
		})
	}
}
