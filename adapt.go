package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/autostart"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/ui"
)

// The adapters below turn core's services into the small interfaces ui
// declares; they hold no logic of their own beyond naming things.

// newBackend is the login's backend client (refreshing tokens as Codex
// does); nil, which hides models and usage, when config.toml is unreadable.
func newBackend(svc *login.Service, version string) ui.Backend {
	c, err := svc.Backend(version)
	if err != nil {
		return nil
	}
	return ui.ProviderBackend(c)
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
	switch {
	case res.Recovered:
		verb = "Finished a refresh an earlier run could not write"
	case !res.Refreshed:
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
