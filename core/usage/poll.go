package usage

import (
	"context"
	"sync"
	"time"

	"github.com/codextray/codextray/core/textfmt"
)

// Schedule is when a tray polls usage: rarely when nothing happens, often
// while it matters, at once after a wake or a reconnect, and backing off
// while the backend fails.
type Schedule struct {
	Idle       time.Duration // default 5 min
	Busy       time.Duration // while an answer streams or a window is above BusyAbove; default 1 min
	BusyAbove  float64       // default 80 (%)
	FirstRetry time.Duration // after the first failure; doubles per failure; default 30 s
	MaxBackoff time.Duration // default 30 min
	// WakeCheck is the longest the poller sleeps at a time, so a wake from
	// suspend (whose time monotonic timers do not count) or a clock jump is
	// noticed within it; default 1 min.
	WakeCheck time.Duration
}

func (s Schedule) withDefaults() Schedule {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&s.Idle, 5*time.Minute)
	def(&s.Busy, time.Minute)
	def(&s.FirstRetry, 30*time.Second)
	def(&s.MaxBackoff, 30*time.Minute)
	def(&s.WakeCheck, time.Minute)
	if s.BusyAbove <= 0 {
		s.BusyAbove = 80
	}
	return s
}

// PollState is what the schedule depends on.
type PollState struct {
	LastAttempt time.Time // zero before the first poll
	LastSuccess time.Time
	Failures    int // in a row since the last success
	Streaming   bool
	MaxUsed     float64 // of the latest answer
	Kick        bool    // a wake, the network back or a new login: poll now
}

// Next is when the next poll is due, by the wall clock. A clock that went
// back before the last attempt polls at once, like a kick.
func (s Schedule) Next(st PollState, now time.Time) time.Time {
	s = s.withDefaults()
	if st.Kick || st.LastAttempt.IsZero() || now.Before(st.LastAttempt) {
		return now
	}
	if st.Failures > 0 {
		d := s.FirstRetry << min(st.Failures-1, 16)
		return st.LastAttempt.Add(min(d, s.MaxBackoff))
	}
	if st.Streaming || st.MaxUsed >= s.BusyAbove {
		return st.LastAttempt.Add(s.Busy)
	}
	return st.LastAttempt.Add(s.Idle)
}

// StaleAfter is how old data may be before views show its age.
func (s Schedule) StaleAfter() time.Duration {
	s = s.withDefaults()
	return s.Idle + s.Idle/2
}

// UpdatedAge is "updated 23 min ago" when the last good answer is older
// than stale, else "".
func UpdatedAge(lastSuccess, now time.Time, stale time.Duration) string {
	if lastSuccess.IsZero() {
		return ""
	}
	age := now.Sub(lastSuccess)
	if age <= stale {
		return ""
	}
	return "updated " + textfmt.Duration(age) + " ago"
}

// PollClock is the time source of a Poller (a fake one in tests).
type PollClock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Poller runs a Schedule: it calls Poll when due and reports each result.
// Its goroutine is owned by whoever calls Run.
type Poller struct {
	Schedule Schedule
	Clock    PollClock // nil: the real one
	// Poll fetches usage; it returns the highest used percent of any
	// window, which decides the interval.
	Poll func(ctx context.Context) (maxUsed float64, err error)

	mu    sync.Mutex
	st    PollState
	kick  chan struct{}
	ready sync.Once
}

func (p *Poller) init() {
	p.ready.Do(func() {
		p.kick = make(chan struct{}, 1)
		if p.Clock == nil {
			p.Clock = realClock{}
		}
	})
}

// Kick polls at once: after a wake, when the network comes back, or when
// the login changed.
func (p *Poller) Kick() {
	p.init()
	p.mu.Lock()
	p.st.Kick = true
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// SetStreaming says whether a chat answer is streaming (poll every minute
// while it does).
func (p *Poller) SetStreaming(on bool) {
	p.init()
	p.mu.Lock()
	changed := p.st.Streaming != on
	p.st.Streaming = on
	p.mu.Unlock()
	if changed {
		select {
		case p.kick <- struct{}{}: // re-plan, not poll: Kick is not set
		default:
		}
	}
}

// State returns the poller's state (for the "last updated" age).
func (p *Poller) State() PollState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st
}

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	p.init()
	lastWall := p.Clock.Now()
	for {
		now := p.Clock.Now()
		// A wall clock that moved much more than the timer slept is a wake
		// from suspend or a clock jump: poll now.
		if gap := now.Sub(lastWall); gap > p.Schedule.withDefaults().WakeCheck+30*time.Second || gap < -time.Minute {
			p.mu.Lock()
			p.st.Kick = true
			p.mu.Unlock()
		}
		lastWall = now
		p.mu.Lock()
		due := p.Schedule.Next(p.st, now)
		p.mu.Unlock()
		if !now.Before(due) {
			p.pollOnce(ctx, now)
			if ctx.Err() != nil {
				return
			}
			lastWall = p.Clock.Now()
			continue
		}
		wait := min(due.Sub(now), p.Schedule.withDefaults().WakeCheck)
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
		case <-p.Clock.After(wait):
		}
	}
}

func (p *Poller) pollOnce(ctx context.Context, now time.Time) {
	p.mu.Lock()
	p.st.Kick = false
	p.st.LastAttempt = now
	p.mu.Unlock()
	maxUsed, err := p.Poll(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.st.Failures++
		return
	}
	p.st.Failures, p.st.LastSuccess, p.st.MaxUsed = 0, now, maxUsed
}
