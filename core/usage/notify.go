package usage

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/core/textfmt"
)

// DefaultThresholds are the used percents that notify, once each per
// window and reset period.
var DefaultThresholds = []float64{80, 95}

// NotifyConfig is what the user set (Settings) and the snooze.
type NotifyConfig struct {
	Enabled      bool            // notifications at all
	Thresholds   []float64       // ascending; nil: DefaultThresholds
	Muted        map[string]bool // window keys that never notify
	SnoozedUntil time.Time       // nothing is shown before then
	Format       textfmt.Format  // writes clock times and shares
}

// Note is a notification to show.
type Note struct {
	Kind   string // "threshold", "reset" or "credit_expiry"
	Window string // the window key; the credit id for credit_expiry
	Title  string
	Body   string
}

// NotifyMemory is what was already notified, persisted so that a restart
// repeats nothing.
type NotifyMemory struct {
	Windows map[string]*WindowMemory `json:"windows,omitempty"`
	// Credits: the credits whose expiry was handled (notified, or held
	// back by a snooze or mute), with their expiry, for pruning.
	Credits map[string]time.Time `json:"credits,omitempty"`
}

// WindowMemory is one window as last seen.
type WindowMemory struct {
	ResetsAt time.Time `json:"resets_at,omitzero"`
	Used     float64   `json:"used"`
	// Fired are the thresholds already handled in this reset period.
	Fired  []float64 `json:"fired,omitempty"`
	SeenAt time.Time `json:"seen_at"`
}

// CreditNoticeBefore is how long before a credit's expiry its notification
// comes.
const CreditNoticeBefore = 24 * time.Hour

// forgetAfter drops memory of windows and credits not seen for so long.
const forgetAfter = 40 * 24 * time.Hour

// Decide is the pure notification rule. From the memory, the windows read
// now (any order, any subset: a missing window changes nothing), the
// reset credits and the settings, it returns the notifications to show and
// the memory to persist. A threshold notifies on its upward crossing, once
// per window per reset period; a window notifies its reset only when its
// reset time has passed and its usage dropped. Snoozed, disabled or muted
// notifications are recorded as handled, not held back to burst out later.
func Decide(mem NotifyMemory, ws []Window, credits []provider.ResetCredit, cfg NotifyConfig, now time.Time) ([]Note, NotifyMemory) {
	mem = mem.clone()
	thresholds := cfg.Thresholds
	if thresholds == nil {
		thresholds = DefaultThresholds
	}
	thresholds = slices.Sorted(slices.Values(thresholds))
	quiet := !cfg.Enabled || now.Before(cfg.SnoozedUntil)
	var notes []Note
	for _, w := range ws {
		if math.IsNaN(w.UsedPercent) || w.Key == "" {
			continue
		}
		used := clampPercent(w.UsedPercent)
		m := mem.Windows[w.Key]
		if m == nil {
			m = &WindowMemory{ResetsAt: w.ResetsAt, Used: used}
			mem.Windows[w.Key] = m
		}
		dropped := used < m.Used-0.5 // a rounding wobble is not a drop
		passed := !m.ResetsAt.IsZero() && !now.Before(m.ResetsAt)
		later := !w.ResetsAt.IsZero() && !m.ResetsAt.IsZero() && w.ResetsAt.Sub(m.ResetsAt) > sameReset
		switch {
		case dropped && passed:
			// A reset: its time came and the usage fell.
			m.Fired = nil
			if !quiet && !cfg.Muted[w.Key] {
				notes = append(notes, resetNote(w, now, cfg.Format))
			}
			m.ResetsAt = w.ResetsAt
		case dropped && later:
			// Reset early (a reset credit): thresholds count again, but the
			// user redeemed it and needs no note.
			m.Fired = nil
			m.ResetsAt = w.ResetsAt
		case w.ResetsAt.IsZero():
			// A null reset time keeps the known one.
		case m.ResetsAt.IsZero() || later:
			// Known now, or moved on without a drop (a clock that jumped,
			// a reset already used up again): the period's thresholds stay
			// handled.
			m.ResetsAt = w.ResetsAt
		}
		m.Used, m.SeenAt = used, now
		var crossed []float64
		for _, t := range thresholds {
			if used >= t && !slices.Contains(m.Fired, t) {
				crossed = append(crossed, t)
				m.Fired = append(m.Fired, t)
			}
		}
		if len(crossed) > 0 && !quiet && !cfg.Muted[w.Key] {
			notes = append(notes, thresholdNote(w, crossed[len(crossed)-1], now, cfg.Format))
		}
	}
	for _, c := range credits {
		if c.Status != provider.CreditAvailable || c.ExpiresAt.IsZero() || !c.ExpiresAt.After(now) ||
			c.ExpiresAt.Sub(now) > CreditNoticeBefore {
			continue
		}
		if _, done := mem.Credits[c.ID]; done {
			continue
		}
		mem.Credits[c.ID] = c.ExpiresAt
		if !quiet {
			notes = append(notes, creditNote(c, now, cfg.Format))
		}
	}
	for k, m := range mem.Windows {
		if now.Sub(m.SeenAt) > forgetAfter {
			delete(mem.Windows, k)
		}
	}
	for id, exp := range mem.Credits {
		if now.Sub(exp) > forgetAfter {
			delete(mem.Credits, id)
		}
	}
	return notes, mem
}

func (m NotifyMemory) clone() NotifyMemory {
	out := NotifyMemory{Windows: map[string]*WindowMemory{}, Credits: map[string]time.Time{}}
	for k, w := range m.Windows {
		if w == nil {
			continue
		}
		c := *w
		c.Fired = slices.Clone(w.Fired)
		out.Windows[k] = &c
	}
	for k, v := range m.Credits {
		out.Credits[k] = v
	}
	return out
}

// windowTitle names a window in a sentence: "Codex 5 h window", "Codex
// Spark week window", "Monthly spend cap".
func windowTitle(w Window) string {
	switch w.Family {
	case FamilyCodex:
		return "Codex " + w.Label + " window"
	case FamilySpendCap:
		return "Monthly spend cap"
	}
	return w.FamilyName + " " + strings.ToLower(provider.KindLabel(w.Kind, w.Minutes)) + " window"
}

func thresholdNote(w Window, t float64, now time.Time, f textfmt.Format) Note {
	body := textfmt.Percent(w.UsedPercent) + " of the " + windowTitle(w) + " is used."
	if !w.ResetsAt.IsZero() {
		body += " It resets at " + f.Clock(w.ResetsAt, now) + "."
	}
	return Note{Kind: "threshold", Window: w.Key,
		Title: windowTitle(w) + " above " + textfmt.Percent(t), Body: body}
}

func resetNote(w Window, now time.Time, f textfmt.Format) Note {
	body := "It is at " + textfmt.Percent(w.UsedPercent) + " again."
	if !w.ResetsAt.IsZero() {
		body += " Next reset " + f.Clock(w.ResetsAt, now) + "."
	}
	return Note{Kind: "reset", Window: w.Key, Title: windowTitle(w) + " reset", Body: body}
}

func creditNote(c provider.ResetCredit, now time.Time, f textfmt.Format) Note {
	return Note{Kind: "credit_expiry", Window: c.ID, Title: "A reset credit expires in " + textfmt.Duration(c.ExpiresAt.Sub(now)),
		Body: "Redeem it before " + f.Clock(c.ExpiresAt, now) + " from the status window or with “codextray usage redeem”, or it is lost."}
}

// LoadNotifyMemory reads the persisted notification memory (empty when
// none was stored or it is unreadable: at worst a notification repeats).
func (s *Store) LoadNotifyMemory(ctx context.Context) NotifyMemory {
	var m NotifyMemory
	if ok, err := s.getState(ctx, "notify", &m); !ok || err != nil {
		return NotifyMemory{}
	}
	return m
}

// SaveNotifyMemory persists the memory Decide returned.
func (s *Store) SaveNotifyMemory(ctx context.Context, m NotifyMemory) error {
	return s.putState(ctx, "notify", m)
}
