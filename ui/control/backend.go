package control

import (
	"context"
	"errors"

	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/ui/view"
)

// ProviderBackend adapts the backend client to Backend: the model list and
// the usage windows in the shapes the views show.
func ProviderBackend(c *provider.Client) Backend { return providerBackend{c} }

type providerBackend struct{ c *provider.Client }

func (b providerBackend) Models(ctx context.Context) (view.ModelList, error) {
	l, err := b.c.Models(ctx)
	if err != nil {
		return view.ModelList{}, err
	}
	out := view.ModelList{Default: l.Default}
	// Models outside the login's plan are not offered.
	for _, m := range l.Offered() {
		um := view.Model{Slug: m.Slug, Name: m.DisplayName, DefaultEffort: m.DefaultReasoningLevel,
			Fast: m.HasServiceTier(provider.ServiceTierPriority)}
		for _, r := range m.ReasoningLevels {
			um.Efforts = append(um.Efforts, r.Effort)
		}
		out.Models = append(out.Models, um)
	}
	return out, nil
}

func (b providerBackend) Usage(ctx context.Context) (view.Usage, error) {
	rl, err := b.c.Usage(ctx)
	if err != nil {
		return view.Usage{}, errors.New(provider.ErrorMessage(err))
	}
	return view.UsageFromRateLimits(rl), nil
}
