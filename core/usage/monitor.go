package usage

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/core/textfmt"
)

// Source is the backend as the monitor uses it (provider.Client).
type Source interface {
	Usage(ctx context.Context) (provider.RateLimits, error)
	ResetCredits(ctx context.Context) (provider.ResetCredits, error)
	Consumer
}

// WindowView is a window with what the views show beside it.
type WindowView struct {
	Window
	Pace      Pace
	PaceText  string // PaceSentence
	PaceShort string // PaceShort, for the tray line; "" without a pace
}

// Snapshot is everything the tray and the windows show about usage.
type Snapshot struct {
	PlanType     string
	LimitReached bool
	Windows      []WindowView
	SpendCap     *provider.SpendCap
	// Credits is nil until the list was read; CreditsAvailable counts the
	// redeemable ones (from the list, else from /wham/usage).
	Credits          *provider.ResetCredits
	CreditsAvailable int
	// History holds each window's samples of the last HistorySpan, oldest
	// first, for the charts.
	History   map[string][]Sample
	UpdatedAt time.Time // the last good answer; zero before any
	Err       string    // the last failure's sentence; "" after a success
	Polling   bool      // a poll is running
}

// HistorySpan is how far back the charts look.
const HistorySpan = 7 * 24 * time.Hour

// Monitor polls usage on a Schedule, records every reading, computes the
// paces, decides the notifications and publishes a Snapshot after each
// poll. The tray process runs one with Notify set; the window host runs one
// without (it shows, the tray notifies). Its goroutine belongs to whoever
// calls Run.
type Monitor struct {
	Source Source
	Store  *Store // nil: no history, no pace, no notification memory
	Clock  PollClock
	// Record stores each reading (the tray's monitor; one process is
	// enough).
	Record bool
	// Notify shows a notification; nil decides none. Config is read
	// before each decision (Settings and the snooze may change).
	Notify func(Note)
	Config func() NotifyConfig
	// Publish receives every new snapshot (from the monitor's goroutine).
	Publish func(Snapshot)
	// Format writes clock times in sentences: the views' locale.
	Format textfmt.Format

	poller Poller
	once   sync.Once
	mu     sync.Mutex
	snap   Snapshot
	mem    *NotifyMemory
}

func (m *Monitor) init() {
	m.once.Do(func() {
		if m.Clock == nil {
			m.Clock = realClock{}
		}
		m.poller.Clock = m.Clock
		m.poller.Poll = m.poll
	})
}

// Run polls until ctx ends.
func (m *Monitor) Run(ctx context.Context) {
	m.init()
	m.poller.Run(ctx)
}

// Kick polls at once (a wake, the network back, a new login, a redeem).
func (m *Monitor) Kick() { m.init(); m.poller.Kick() }

// SetStreaming: a chat answer is streaming; poll every minute meanwhile.
func (m *Monitor) SetStreaming(on bool) { m.init(); m.poller.SetStreaming(on) }

// Snapshot returns the latest snapshot.
func (m *Monitor) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snap
}

// Redeem redeems a reset credit safely (see Redeem) and polls at once
// after an answer, so the windows show the reset.
func (m *Monitor) Redeem(ctx context.Context, creditID string) (RedeemResult, error) {
	m.init()
	if m.Store == nil {
		return RedeemResult{}, errors.New("the usage history, where a redeem's request id is kept, could not be opened")
	}
	res, err := Redeem(ctx, m.Source, m.Store, creditID, RedeemOptions{})
	if err == nil {
		m.Kick()
	}
	return res, err
}

// Preview is the sentence of the redeem confirmation for creditID ("" for
// the credit expiring first), and the id of the credit it is about.
func (m *Monitor) Preview(creditID string) (sentence, credit string, ok bool) {
	s := m.Snapshot()
	var ws []Window
	for _, w := range s.Windows {
		ws = append(ws, w.Window)
	}
	var rc provider.ResetCredits
	if s.Credits != nil {
		rc = *s.Credits
	}
	return RedeemPreview(ws, rc, creditID, m.Clock.Now(), m.Format)
}

func (m *Monitor) poll(ctx context.Context) (float64, error) {
	m.setPolling(true)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rl, err := m.Source.Usage(ctx)
	now := m.Clock.Now()
	if err != nil {
		m.mu.Lock()
		m.snap.Err, m.snap.Polling = provider.ErrorMessage(err), false
		snap := m.snap
		m.mu.Unlock()
		m.publish(snap)
		return 0, err
	}
	ws := Windows(rl)
	snap := Snapshot{PlanType: rl.PlanType, LimitReached: rl.LimitReached, SpendCap: rl.SpendCap, UpdatedAt: now}
	if rl.ResetCreditsAvailable != nil {
		snap.CreditsAvailable = *rl.ResetCreditsAvailable
	}
	if rl.ResetCreditsAvailable == nil || *rl.ResetCreditsAvailable > 0 {
		if rc, err := m.Source.ResetCredits(ctx); err == nil {
			snap.Credits = &rc
			snap.CreditsAvailable = len(rc.Available(now))
		} else {
			m.mu.Lock()
			snap.Credits = m.snap.Credits // keep the last list rather than none
			m.mu.Unlock()
		}
	}
	if m.Store != nil {
		if m.Record {
			_ = m.Store.Record(ctx, now, ws) // a full disk loses a sample, not the view
		}
		if samples, err := m.Store.Samples(ctx, now.Add(-HistorySpan)); err == nil {
			snap.History = ByWindow(samples)
		}
	}
	if !m.Record {
		// Another process records; the reading of now ends the charts
		// here too (a redeem shows as the drop it is).
		if snap.History == nil {
			snap.History = map[string][]Sample{}
		}
		for _, w := range ws {
			snap.History[w.Key] = append(snap.History[w.Key], Sample{At: now, Window: w.Key, Label: w.Label,
				Minutes: w.Minutes, UsedPercent: w.UsedPercent, ResetsAt: w.ResetsAt})
		}
	}
	for _, w := range ws {
		p := PaceOf(snap.History[w.Key], w, now)
		snap.Windows = append(snap.Windows, WindowView{Window: w, Pace: p,
			PaceText: PaceSentence(p, w, now, m.Format), PaceShort: PaceShort(p, w, now)})
	}
	m.decide(ctx, ws, snap.Credits, now)
	m.mu.Lock()
	m.snap = snap
	m.mu.Unlock()
	m.publish(snap)
	return MaxUsed(ws), nil
}

func (m *Monitor) decide(ctx context.Context, ws []Window, rc *provider.ResetCredits, now time.Time) {
	if m.Notify == nil {
		return
	}
	if m.mem == nil {
		mem := NotifyMemory{}
		if m.Store != nil {
			mem = m.Store.LoadNotifyMemory(ctx)
		}
		m.mem = &mem
	}
	cfg := NotifyConfig{Enabled: true}
	if m.Config != nil {
		cfg = m.Config()
	}
	cfg.Format = m.Format
	var credits []provider.ResetCredit
	if rc != nil {
		credits = rc.Credits
	}
	notes, mem := Decide(*m.mem, ws, credits, cfg, now)
	m.mem = &mem
	if m.Store != nil {
		// Saved before showing: a crash in between loses a notification
		// rather than repeating it.
		_ = m.Store.SaveNotifyMemory(ctx, mem)
	}
	for _, n := range notes {
		m.Notify(n)
	}
}

func (m *Monitor) setPolling(on bool) {
	m.mu.Lock()
	m.snap.Polling = on
	m.mu.Unlock()
}

func (m *Monitor) publish(s Snapshot) {
	if m.Publish != nil {
		m.Publish(s)
	}
}
