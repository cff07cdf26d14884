package view

import (
	"sort"
	"time"

	"github.com/codextray/codextray/core/provider"
)

// Model is one model the subscription can use.
type Model struct {
	Slug          string
	Name          string
	Efforts       []string // reasoning efforts it supports
	DefaultEffort string
}

// ModelList is the live model list and the backend's default.
type ModelList struct {
	Models  []Model
	Default string
}

// Find returns the model with slug.
func (l ModelList) Find(slug string) (Model, bool) {
	for _, m := range l.Models {
		if m.Slug == slug {
			return m, true
		}
	}
	return Model{}, false
}

// EffortFor keeps want when m supports it, else m's default.
func EffortFor(m Model, want string) string {
	for _, e := range m.Efforts {
		if e == want {
			return want
		}
	}
	return m.DefaultEffort
}

// Usage is the plan's usage windows, shortest first.
type Usage struct {
	Windows      []UsageWindow
	LimitReached bool
}

// UsageWindow is one usage window ("5 h", "week").
type UsageWindow struct {
	Minutes     int // the window's length
	UsedPercent float64
	ResetsAt    time.Time // zero when unknown
}

// UsageFromRateLimits turns the backend's rate limits (from /wham/usage or
// the headers of an answer) into the meters, shortest window first; a
// window without its length is the 5 h one (primary) or the weekly one.
func UsageFromRateLimits(rl provider.RateLimits) Usage {
	out := Usage{LimitReached: rl.LimitReached}
	add := func(w *provider.Window, defMinutes int) {
		if w == nil {
			return
		}
		m := w.WindowMinutes
		if m == 0 {
			m = defMinutes
		}
		out.Windows = append(out.Windows, UsageWindow{Minutes: m, UsedPercent: w.UsedPercent, ResetsAt: w.ResetsAt})
	}
	add(rl.Primary, 300)
	add(rl.Secondary, 7*24*60)
	sort.SliceStable(out.Windows, func(i, j int) bool { return out.Windows[i].Minutes < out.Windows[j].Minutes })
	return out
}
