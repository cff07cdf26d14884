package view

import (
	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/core/textfmt"
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

// Usage is the plan's usage windows, shortest first, in the words of a
// usage line.
type Usage struct {
	Windows      []textfmt.Usage
	LimitReached bool
}

// UsageFromSnapshot is the meters' shape of a usage monitor's snapshot.
func UsageFromSnapshot(s usage.Snapshot) Usage {
	out := Usage{LimitReached: s.LimitReached}
	for _, w := range s.Windows {
		out.Windows = append(out.Windows, textfmt.Usage{Name: w.Label, UsedPercent: w.UsedPercent, ResetsAt: w.ResetsAt, Pace: w.PaceShort})
	}
	return out
}

// UsageFromRateLimits turns the backend's rate limits (from /wham/usage or
// the headers of an answer) into the meters, through the usage monitor's
// own list of windows (usage.Windows), so both name and order them alike.
func UsageFromRateLimits(rl provider.RateLimits) Usage {
	out := Usage{LimitReached: rl.LimitReached}
	for _, w := range usage.Windows(rl) {
		out.Windows = append(out.Windows, textfmt.Usage{Name: w.Label, UsedPercent: w.UsedPercent, ResetsAt: w.ResetsAt})
	}
	return out
}
