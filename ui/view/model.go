package view

import (
	"time"

	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/core/usage"
)

// Model is one model the subscription can use.
type Model struct {
	Slug          string
	Name          string
	Efforts       []string // reasoning efforts it supports, from its catalog entry
	DefaultEffort string
	Fast          bool // the catalog offers the priority ("Fast") service tier
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
	Minutes     int    // the window's length
	Label       string // provider.LabeledWindow's: "5 h", "week", "Codex Spark · 5 h"
	UsedPercent float64
	ResetsAt    time.Time // zero when unknown
	Pace        string    // "runs out in 1 h 40 min", "lasts to reset"; "" without a pace
}

// UsageFromSnapshot is the meters' shape of a usage monitor's snapshot.
func UsageFromSnapshot(s usage.Snapshot) Usage {
	out := Usage{LimitReached: s.LimitReached}
	for _, w := range s.Windows {
		out.Windows = append(out.Windows, UsageWindow{Minutes: w.Minutes, UsedPercent: w.UsedPercent, ResetsAt: w.ResetsAt,
			Label: w.Label, Pace: w.PaceShort})
	}
	return out
}

// UsageFromRateLimits turns the backend's rate limits (from /wham/usage or
// the headers of an answer) into the meters: the plan's windows shortest
// first, named by their length whatever slot they came in
// (provider.RateLimits.Windows), then the named additional limits.
func UsageFromRateLimits(rl provider.RateLimits) Usage {
	out := Usage{LimitReached: rl.LimitReached}
	for _, w := range rl.Windows() {
		out.Windows = append(out.Windows, UsageWindow{Minutes: w.Window.WindowMinutes, Label: w.Label,
			UsedPercent: w.Window.UsedPercent, ResetsAt: w.Window.ResetsAt})
	}
	return out
}
