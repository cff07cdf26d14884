package usage

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	pt "github.com/codextray/codextray/core/provider/providertest"
	"github.com/codextray/codextray/core/textfmt"
)

func usageJSON(used5h, usedWeek float64, reset5h, resetWeek time.Time) []byte {
	return fmt.Appendf(nil, `{"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,
		"primary_window":{"used_percent":%g,"limit_window_seconds":18000,"reset_at":%d},
		"secondary_window":{"used_percent":%g,"limit_window_seconds":604800,"reset_at":%d}},
		"rate_limit_reset_credits":{"available_count":1}}`, used5h, reset5h.Unix(), usedWeek, resetWeek.Unix())
}

// runMonitor runs a monitor over the fake backend on a fake clock until the
// test ends; snapshots arrive on the returned channel.
func runMonitor(t *testing.T, srv *pt.Server, st *Store, notes chan<- Note) (*Monitor, *fakeClock, <-chan Snapshot) {
	clock := newFakeClock()
	clock.now = time.Now().Truncate(time.Second)
	snaps := make(chan Snapshot, 16)
	m := &Monitor{Source: clientFor(t, srv, 0), Store: st, Clock: clock, Record: true, Format: textfmt.Format{Loc: time.UTC},
		Publish: func(s Snapshot) { snaps <- s }}
	if notes != nil {
		m.Notify = func(n Note) { notes <- n }
		m.Config = func() NotifyConfig { return NotifyConfig{Enabled: true} }
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return m, clock, snaps
}

func nextSnap(t *testing.T, c <-chan Snapshot) Snapshot {
	t.Helper()
	select {
	case s := <-c:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no snapshot")
	}
	return Snapshot{}
}

// advance moves the clock d on once the monitor's poller waits on it
// again: a move before its next wait would fire nothing.
func advance(t *testing.T, clock *fakeClock, d time.Duration) {
	t.Helper()
	select {
	case <-clock.waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("the monitor never waited for its next poll")
	}
	clock.move(d, false)
}

func TestMonitorPublishesRecordsAndNotifiesOnce(t *testing.T) {
	srv := pt.New(t, testToken)
	now := time.Now()
	srv.SetUsage(usageJSON(85, 20, now.Add(time.Hour), now.Add(50*time.Hour)), nil)
	srv.SetResetCredits([]pt.ResetCredit{{ID: "rc_1", ExpiresAt: now.Add(5 * time.Hour)}}, "5 h")
	path := filepath.Join(t.TempDir(), "usage.db")
	st := openStore(t, path)
	notes := make(chan Note, 16)
	_, clock, snaps := runMonitor(t, srv, st, notes)
	s := nextSnap(t, snaps)
	if len(s.Windows) != 2 || s.Windows[0].Label != "5 h" || s.Windows[1].Label != "Week" || s.CreditsAvailable != 1 ||
		s.Credits == nil || s.Err != "" || s.UpdatedAt.IsZero() || s.Windows[0].Pace.Enough {
		t.Fatalf("%+v", s)
	}
	got := map[string]bool{}
	for range 2 {
		select {
		case n := <-notes:
			got[n.Kind+" "+n.Window] = true
		case <-time.After(5 * time.Second):
			t.Fatal("missing notifications")
		}
	}
	if !got["threshold codex/5h"] || !got["credit_expiry rc_1"] {
		t.Fatal(got)
	}
	// Above 80 %: the next poll comes a minute later, not five.
	advance(t, clock, time.Minute)
	s = nextSnap(t, snaps)
	if len(s.History["codex/5h"]) != 2 {
		t.Fatalf("history %+v", s.History)
	}
	select {
	case n := <-notes:
		t.Fatalf("repeated: %+v", n)
	default:
	}
	// The backend fails: the snapshot keeps the windows and says why.
	srv.SetUsage([]byte(`not json`), nil)
	advance(t, clock, time.Minute)
	s = nextSnap(t, snaps)
	if s.Err == "" || len(s.Windows) != 2 {
		t.Fatalf("%+v", s)
	}
	st.Close()

	// A restart: the same readings notify nothing again.
	srv.SetUsage(usageJSON(86, 20, now.Add(time.Hour), now.Add(50*time.Hour)), nil)
	st2 := openStore(t, path)
	defer st2.Close()
	_, _, snaps2 := runMonitor(t, srv, st2, notes)
	nextSnap(t, snaps2)
	select {
	case n := <-notes:
		t.Fatalf("repeated after a restart: %+v", n)
	default:
	}
}
