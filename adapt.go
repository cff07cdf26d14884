package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/autostart"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/ui"
)

// The adapters below turn core's services into the small interfaces ui
// declares; they hold no logic of their own beyond naming things.

// backend adapts provider.Client to ui.Backend.
type backend struct{ c *provider.Client }

// newBackend is the login's backend client (refreshing tokens as Codex
// does); nil, which hides models and usage, when config.toml is unreadable.
func newBackend(svc *login.Service, version string) ui.Backend {
	c, err := svc.Backend(version)
	if err != nil {
		return nil
	}
	return backend{c}
}

func (b backend) Models(ctx context.Context) (ui.ModelList, error) {
	l, err := b.c.Models(ctx)
	if err != nil {
		return ui.ModelList{}, err
	}
	out := ui.ModelList{Default: l.Default}
	for _, m := range l.Models {
		um := ui.Model{Slug: m.Slug, Name: m.DisplayName, DefaultEffort: m.DefaultReasoningLevel}
		for _, r := range m.ReasoningLevels {
			um.Efforts = append(um.Efforts, r.Effort)
		}
		out.Models = append(out.Models, um)
	}
	return out, nil
}

func (b backend) Usage(ctx context.Context) (ui.Usage, error) {
	rl, err := b.c.Usage(ctx)
	if err != nil {
		return ui.Usage{}, errors.New(provider.ErrorMessage(err))
	}
	out := ui.Usage{LimitReached: rl.LimitReached}
	add := func(w *provider.Window, defMinutes int) {
		if w == nil {
			return
		}
		m := w.WindowMinutes
		if m == 0 {
			m = defMinutes
		}
		out.Windows = append(out.Windows, ui.UsageWindow{Minutes: m, UsedPercent: w.UsedPercent, ResetsAt: w.ResetsAt})
	}
	add(rl.Primary, 300)
	add(rl.Secondary, 7*24*60)
	return out, nil
}

// loginActions adapts the login service to ui.LoginActions.
type loginActions struct{ svc *login.Service }

func (l loginActions) Refresh(ctx context.Context) (string, error) {
	snap := l.svc.Loader.Load(ctx)
	switch {
	case snap.Err != nil:
		return "", fmt.Errorf("cannot read the Codex login: %w", snap.Err)
	case snap.Doc == nil:
		return "", auth.ErrLoginNeeded
	case snap.Doc.Mode() == "apikey":
		return "Codex uses an API key; there is no token to refresh.", nil
	}
	res, err := l.svc.Refresher.Refresh(ctx, snap.Doc, "forced")
	if err != nil {
		return "", err
	}
	_ = l.svc.Mirror.Save(ctx, res.Doc) // an unavailable keychain shows in the status
	verb := "Refreshed"
	if !res.Refreshed {
		verb = "Another program had just refreshed the login; using it"
	}
	if exp := auth.AccessExpiry(res.Doc); !exp.IsZero() {
		return fmt.Sprintf("%s: the token is valid until %s.", verb, exp.Local().Format("Mon 2 Jan 15:04")), nil
	}
	return verb + ".", nil
}

func (l loginActions) RestoreOffer(ctx context.Context) (string, bool, error) {
	offer, err := l.svc.Mirror.OfferRestore(ctx, l.svc.Loader)
	if err != nil || offer == nil {
		return "", false, err
	}
	reason := offer.Reason
	if !offer.Meta.SavedAt.IsZero() {
		reason += "; the keychain holds the login saved " + offer.Meta.SavedAt.Local().Format("Mon 2 Jan 15:04")
	}
	return reason, true, nil
}

func (l loginActions) Restore(ctx context.Context) (string, error) {
	doc, err := l.svc.Mirror.Restore(ctx, l.svc.Loader)
	if err != nil {
		return "", err
	}
	st := auth.NewStatus(auth.Snapshot{Home: l.svc.Home, Source: auth.SourceFile, Doc: doc}, auth.StatusOptions{Now: time.Now()})
	return "Restored the Codex login from the keychain. " + st.Message, nil
}

// startAtLogin adapts core/autostart to ui.StartAtLogin.
type startAtLogin struct{}

func (startAtLogin) Enabled() (bool, error) { return autostart.Enabled() }

func (startAtLogin) SetEnabled(on bool) error {
	if !on {
		return autostart.Disable()
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return autostart.Enable(exe)
}
