package ui

import (
	"context"
	"errors"

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
	// Models outside the login's plan are not offered.
	for _, m := range l.Offered() {
		um := Model{Slug: m.Slug, Name: m.DisplayName, DefaultEffort: m.DefaultReasoningLevel,
			Fast: m.HasServiceTier(provider.ServiceTierPriority)}
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
// the headers of an answer) into the meters: the plan's windows shortest
// first, named by length (provider.RateLimits.Windows), then the named
// additional limits.
func usageFromRateLimits(rl provider.RateLimits) Usage {
	out := Usage{LimitReached: rl.LimitReached}
	for _, w := range rl.Windows() {
		out.Windows = append(out.Windows, UsageWindow{Minutes: w.Window.WindowMinutes, Label: w.Label,
			UsedPercent: w.Window.UsedPercent, ResetsAt: w.Window.ResetsAt})
	}
	return out
}
