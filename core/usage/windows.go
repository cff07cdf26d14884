// Package usage turns the backend's usage windows into what a user can act
// on: every window named by its length, the samples kept in a local SQLite
// database (pruned after 90 days), the pace each window burns at, the
// notifications a change calls for (a pure decision over persisted memory),
// the safe redeem of a reset credit (one idempotency key per redeem, kept on
// disk until an answer arrives) and the polling schedule of the tray. It
// never imports Fyne; the tray, the windows and the command line share it.
package usage

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/codextray/codextray/core/provider"
)

// Window is one usage window of any family, flattened: the plan's own
// (family "codex"), a named extra limit (additional_rate_limits, e.g.
// Codex Spark), or the monthly spend cap of a Business/Enterprise member.
type Window struct {
	// Key names the window for as long as it exists, whatever slot it came
	// in: "codex/5h", "codex/week", "codex_bengalfox/week", "spend_cap/month".
	Key        string              `json:"key"`
	Family     string              `json:"limit"`
	FamilyName string              `json:"limit_name,omitempty"`
	Kind       provider.WindowKind `json:"kind"`
	Label      string              `json:"label"` // "5 h", "Week", "Codex Spark · Week", "Spend cap"
	Minutes    int                 `json:"window_minutes,omitempty"`
	// UsedPercent is within [0, 100]; the backend's value is clamped.
	UsedPercent float64   `json:"used_percent"`
	ResetsAt    time.Time `json:"resets_at,omitzero"` // zero when not known
}

// Family ids besides the additional limits' metered_feature.
const (
	FamilyCodex    = "codex"
	FamilySpendCap = "spend_cap"
)

// Windows flattens rate limits into windows: the plan's own by length, then
// the named limits by name, then the spend cap. A window whose used percent
// is not a number is left out; negative values read as 0 and values above
// 100 as 100. A plan that has only a weekly window yields just that.
func Windows(rl provider.RateLimits) []Window {
	var out []Window
	seen := map[string]int{}
	add := func(family, name string, w *provider.Window, defMinutes int) {
		if w == nil || math.IsNaN(w.UsedPercent) || math.IsInf(w.UsedPercent, 0) {
			return
		}
		m := w.WindowMinutes
		if m <= 0 {
			m = defMinutes
		}
		kind := provider.ClassifyWindow(m)
		suffix := string(kind)
		if kind == provider.WindowOther {
			suffix = strings.ReplaceAll(provider.KindLabel(kind, m), " ", "")
		}
		key := family + "/" + suffix
		if n := seen[key]; n > 0 {
			seen[key]++
			key += "-" + string(rune('1'+n))
		} else {
			seen[key] = 1
		}
		label := provider.KindLabel(kind, m)
		if name != "" {
			label = name + " · " + label
		}
		out = append(out, Window{Key: key, Family: family, FamilyName: name, Kind: kind, Label: label, Minutes: m,
			UsedPercent: clampPercent(w.UsedPercent), ResetsAt: w.ResetsAt})
	}
	// The headers of a response may leave the length out: the primary
	// slot is then the 5 h window, the secondary the weekly one.
	var own []Window
	add(FamilyCodex, "", rl.Primary, 300)
	add(FamilyCodex, "", rl.Secondary, 7*24*60)
	own, out = out, nil
	sort.SliceStable(own, func(i, j int) bool { return own[i].Minutes < own[j].Minutes })
	extra := append([]provider.Limit(nil), rl.Additional...)
	sort.SliceStable(extra, func(i, j int) bool { return limitName(extra[i]) < limitName(extra[j]) })
	for _, l := range extra {
		start := len(out)
		add(familyID(l), limitName(l), l.Primary, 0)
		add(familyID(l), limitName(l), l.Secondary, 0)
		part := out[start:]
		sort.SliceStable(part, func(i, j int) bool { return part[i].Minutes < part[j].Minutes })
	}
	out = append(own, out...)
	if c := rl.SpendCap; c != nil && !math.IsNaN(c.UsedPercent) {
		out = append(out, Window{Key: FamilySpendCap + "/month", Family: FamilySpendCap, Kind: provider.WindowMonth,
			Label: "Spend cap", Minutes: 30 * 24 * 60, UsedPercent: clampPercent(c.UsedPercent), ResetsAt: c.ResetsAt})
	}
	return out
}

func familyID(l provider.Limit) string {
	id := strings.ToLower(strings.TrimSpace(l.ID))
	if id == "" {
		id = strings.ToLower(strings.Join(strings.Fields(l.Name), "_"))
	}
	if id == "" || id == FamilyCodex || id == FamilySpendCap {
		id = "limit_" + id
	}
	return id
}

func limitName(l provider.Limit) string {
	if l.Name != "" {
		return l.Name
	}
	return l.ID
}

func clampPercent(p float64) float64 {
	switch {
	case p < 0:
		return 0
	case p > 100:
		return 100
	}
	return p
}

// MaxUsed is the highest used percent of any window (0 with none).
func MaxUsed(ws []Window) float64 {
	m := 0.0
	for _, w := range ws {
		m = max(m, w.UsedPercent)
	}
	return m
}
