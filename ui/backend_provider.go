package ui

import (
	"context"
	"errors"
	"sort"

	"github.com/codextray/codextray/core/provider"
)

// ProviderBackend adapts the backend client to Backend: the model list and
// the usage windows in the shapes the tray and the chat window show.
func ProviderBackend(c *provider.Client) Backend { return providerBackend{c} }

type providerBackend struct{ c *provider.Client }

func (b providerBackend) Models(ctx context.Context) (ModelList, error) {
	l, err := b.c.Models(ctx)
	if err != nil {
		return ModelList{}, err
	}
	out := ModelList{Default: l.Default}
	for _, m := range l.Models {
		um := Model{Slug: m.Slug, Name: m.DisplayName, DefaultEffort: m.DefaultReasoningLevel}
		for _, r := range m.ReasoningLevels {
			um.Efforts = append(um.Efforts, r.Effort)
		}
		out.Models = append(out.Models, um)
	}
	return out, nil
}

func (b providerBackend) Usage(ctx context.Context) (Usage, error) {
	rl, err := b.c.Usage(ctx)
	if err != nil {
		return Usage{}, errors.New(provider.ErrorMessage(err))
	}
	return usageFromRateLimits(rl), nil
}

// usageFromRateLimits turns the backend's rate limits (from /wham/usage or
// the headers of an answer) into the meters, shortest window first; a
// window without its length is the 5 h one (primary) or the weekly one.
func usageFromRateLimits(rl provider.RateLimits) Usage {
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
