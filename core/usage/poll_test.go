package usage

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a wall clock the test moves; After fires when the test
// moves it past the deadline (or, for a suspend, fires anyway).
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	waiting chan struct{} // a goroutine called After
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0, waiting: make(chan struct{}, 100)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	ch := make(chan time.Time, 1)
	// The poller has one wait at a time: a new one replaces one it left
	// for a kick.
	c.waiters = []fakeWaiter{{c.now.Add(d), ch}}
	c.mu.Unlock()
	c.waiting <- struct{}{}
	return ch
}

// move sets the wall clock d ahead (or back) and fires the timers due, or
// all of them (a timer firing after a suspend, or after a jump).
func (c *fakeClock) move(d time.Duration, fireAll bool) (fired int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if fireAll || !c.now.Before(w.at) {
			w.ch <- c.now
			fired++
			continue
		}
		kept = append(kept, w)
	}
	c.waiters = kept
	return fired
}

type pollHarness struct {
	t       *testing.T
	clock   *fakeClock
	p       *Poller
	polls   atomic.Int32
	maxUsed atomic.Value // float64
	fail    atomic.Bool
}

func startPoller(t *testing.T) *pollHarness {
	h := &pollHarness{t: t, clock: newFakeClock()}
	h.maxUsed.Store(10.0)
	h.p = &Poller{Clock: h.clock, Poll: func(context.Context) (float64, error) {
		h.polls.Add(1)
		if h.fail.Load() {
			return 0, errors.New("network down")
		}
		return h.maxUsed.Load().(float64), nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	h.settle()
	return h
}

// settle waits until the poller sleeps again.
func (h *pollHarness) settle() {
	h.t.Helper()
	select {
	case <-h.clock.waiting:
	case <-time.After(10 * time.Second):
		h.t.Fatal("the poller never went back to sleep")
	}
}

// run moves the clock in steps of step for total, and returns the number
// of polls meanwhile.
func (h *pollHarness) run(total, step time.Duration) int {
	h.t.Helper()
	before := h.polls.Load()
	for moved := time.Duration(0); moved < total; moved += step {
		if h.clock.move(step, false) > 0 {
			h.settle()
		}
	}
	return int(h.polls.Load() - before)
}

func TestPollerIdleAndBusy(t *testing.T) {
	h := startPoller(t)
	if h.polls.Load() != 1 {
		t.Fatal("no poll at start")
	}
	if n := h.run(4*time.Minute+50*time.Second, 10*time.Second); n != 0 {
		t.Fatalf("%d polls before 5 min", n)
	}
	if n := h.run(10*time.Second, 10*time.Second); n != 1 {
		t.Fatalf("%d polls at 5 min", n)
	}
	if n := h.run(30*time.Minute, 30*time.Second); n != 6 {
		t.Fatalf("idle: %d polls in 30 min, want 6", n)
	}
	// A window above 80 %: every minute (from the next poll on).
	h.maxUsed.Store(85.0)
	h.run(5*time.Minute, 30*time.Second)
	if n := h.run(10*time.Minute, 30*time.Second); n != 10 {
		t.Fatalf("above 80 %%: %d polls in 10 min, want 10", n)
	}
	h.maxUsed.Store(10.0)
	h.run(time.Minute, 30*time.Second)
	if n := h.run(10*time.Minute, 30*time.Second); n != 2 {
		t.Fatalf("back to idle: %d polls in 10 min, want 2", n)
	}
}

func TestPollerStreaming(t *testing.T) {
	h := startPoller(t)
	h.run(2*time.Minute, 30*time.Second)
	h.p.SetStreaming(true) // re-plans: the poll 1 min after the last is overdue
	h.settle()
	if n := h.run(10*time.Minute, 30*time.Second); n < 10 || n > 11 {
		t.Fatalf("streaming: %d polls in 10 min", n)
	}
	h.p.SetStreaming(false)
	h.settle()
	if n := h.run(10*time.Minute, 30*time.Second); n != 2 {
		t.Fatalf("after streaming: %d polls in 10 min", n)
	}
}

func TestPollerBackoff(t *testing.T) {
	h := startPoller(t)
	h.fail.Store(true)
	h.run(5*time.Minute, 10*time.Second) // the failing poll at 5 min
	var gaps []int
	last := 0
	for i := 1; i <= 2*60*6; i++ { // 2 h in 10 s steps
		if h.run(10*time.Second, 10*time.Second) > 0 {
			gaps = append(gaps, (i-last)*10)
			last = i
		}
	}
	want := []int{30, 60, 120, 240, 480, 960, 1800, 1800}
	for i, w := range want {
		if i >= len(gaps) || gaps[i] != w {
			t.Fatalf("retry gaps %v s, want %v…", gaps, want)
		}
	}
	st := h.p.State()
	if st.Failures < 8 || st.LastSuccess != t0 {
		t.Fatalf("%+v", st)
	}
	if got := UpdatedAge(st.LastSuccess, h.clock.Now(), Schedule{}.StaleAfter()); got != "updated 2 h 5 min ago" {
		t.Fatal(got)
	}
	h.fail.Store(false)
	h.p.Kick() // the network came back
	h.settle()
	if st := h.p.State(); st.Failures != 0 || UpdatedAge(st.LastSuccess, h.clock.Now(), Schedule{}.StaleAfter()) != "" {
		t.Fatalf("%+v", st)
	}
}

func TestPollerWakeAndClockJumps(t *testing.T) {
	h := startPoller(t)
	h.run(2*time.Minute, 30*time.Second)
	// Suspend for 8 h: the monotonic timer fires soon after the wake, the
	// wall clock is 8 h on.
	before := h.polls.Load()
	h.clock.move(8*time.Hour, true)
	h.settle()
	if h.polls.Load() != before+1 {
		t.Fatal("no poll on wake")
	}
	// The clock is set back 3 h: polling goes on instead of waiting 3 h.
	before = h.polls.Load()
	h.clock.move(-3*time.Hour, true)
	h.settle()
	if h.polls.Load() != before+1 {
		t.Fatal("no poll after the clock went back")
	}
	if n := h.run(10*time.Minute, 30*time.Second); n != 2 {
		t.Fatalf("%d polls in 10 min after the jump", n)
	}
	// A kick polls at once.
	before = h.polls.Load()
	h.p.Kick()
	h.settle()
	if h.polls.Load() != before+1 {
		t.Fatal("no poll on kick")
	}
}

func TestScheduleNext(t *testing.T) {
	s := Schedule{}
	cases := []struct {
		st   PollState
		want time.Duration
	}{
		{PollState{}, 0},
		{PollState{LastAttempt: t0}, 5 * time.Minute},
		{PollState{LastAttempt: t0, MaxUsed: 80}, time.Minute},
		{PollState{LastAttempt: t0, Streaming: true}, time.Minute},
		{PollState{LastAttempt: t0, Failures: 1}, 30 * time.Second},
		{PollState{LastAttempt: t0, Failures: 3, Streaming: true}, 2 * time.Minute},
		{PollState{LastAttempt: t0, Failures: 40}, 30 * time.Minute},
		{PollState{LastAttempt: t0, Kick: true}, 0},
		{PollState{LastAttempt: t0.Add(time.Hour)}, 0}, // the clock went back
	}
	for _, c := range cases {
		if got := s.Next(c.st, t0).Sub(t0); got != c.want {
			t.Errorf("%+v: %v, want %v", c.st, got, c.want)
		}
	}
}
