package login

import (
	"context"
	"fmt"
	"time"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
)

// The use-cases the command line and the tray both offer. Each returns an
// outcome that each front end words in its own way.

// RefreshKind says how a refresh ended.
type RefreshKind int

const (
	// Refreshed: this process refreshed the tokens.
	Refreshed RefreshKind = iota
	// Adopted: another program had just refreshed the login; it is used.
	Adopted
	// Recovered: a refresh an earlier run could not write (killed, or the
	// write failed) was finished from the journal, without a second POST.
	Recovered
	// NoTokenAPIKey: Codex uses an API key; there is nothing to refresh.
	NoTokenAPIKey
)

// RefreshOutcome is how "Refresh now" ended.
type RefreshOutcome struct {
	Kind    RefreshKind
	Expires time.Time // when the access token now expires; zero when unknown
}

// RefreshNow refreshes the ChatGPT tokens now, under Codex's locks, and
// keeps the keychain mirror current. A refresh an earlier run could not
// write comes first: its refresh token is spent, so refreshing again could
// only fail. The error is auth.ErrLoginNeeded (wrapped) when only a new
// sign-in can help.
func (s *Service) RefreshNow(ctx context.Context) (RefreshOutcome, error) {
	doc, err := s.Refresher.Recover(ctx)
	if err != nil {
		return RefreshOutcome{}, err
	}
	out := RefreshOutcome{Kind: Recovered}
	if doc == nil {
		snap := s.Loader.Load(ctx)
		switch {
		case snap.Err != nil:
			return RefreshOutcome{}, fmt.Errorf("cannot read the Codex login: %w", snap.Err)
		case snap.Doc == nil:
			return RefreshOutcome{}, fmt.Errorf("not signed in to Codex: %w", auth.ErrLoginNeeded)
		case snap.Doc.Mode() == auth.ModeAPIKey:
			return RefreshOutcome{Kind: NoTokenAPIKey}, nil
		}
		res, err := s.Refresher.Refresh(ctx, snap.Doc, "forced")
		if err != nil {
			return RefreshOutcome{}, err
		}
		doc = res.Doc
		switch {
		case res.Recovered:
			out.Kind = Recovered
		case res.Refreshed:
			out.Kind = Refreshed
		default:
			out.Kind = Adopted
		}
	}
	out.Expires = auth.AccessExpiry(doc)
	_ = s.Mirror.Save(ctx, doc) // an unavailable keychain shows in the status
	return out, nil
}

// RestoreOffer says whether the keychain mirror can give back a lost
// login: nil when it cannot (auth.json is readable, or no newer copy).
func (s *Service) RestoreOffer(ctx context.Context) (*auth.RestoreOffer, error) {
	return s.Mirror.OfferRestore(ctx, s.Loader)
}

// Restore writes the login kept in the keychain mirror back to auth.json,
// when auth.json is gone or unreadable, and returns the status it gives.
func (s *Service) Restore(ctx context.Context) (auth.Status, error) {
	doc, err := s.Mirror.Restore(ctx, s.Loader)
	if err != nil {
		return auth.Status{}, err
	}
	return auth.NewStatus(auth.Snapshot{Home: s.Home, Source: auth.SourceFile, Doc: doc}, auth.StatusOptions{Now: time.Now()}), nil
}

// Prefs are the preferences the settings are read from: Fyne's in the
// window host, an appdata.FilePrefs in the tray process and on the
// command line.
type Prefs interface {
	FloatWithFallback(key string, fallback float64) float64
	BoolWithFallback(key string, fallback bool) bool
}

// Defaults of the settings, when the Settings window never stored them.
const (
	DefaultReminderHours  = 24
	DefaultMirrorEnabled  = true
	DefaultKeepAliveHours = 0
)

// SettingsFrom reads the user's settings as the Settings window stores
// them, with their defaults; MaintainMirror is on (the tray's watch), a
// command turns it off.
func SettingsFrom(p Prefs) Settings {
	hours := func(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }
	return Settings{
		Reminder:       hours(p.FloatWithFallback(appdata.PrefReminderHours, DefaultReminderHours)),
		MirrorEnabled:  p.BoolWithFallback(appdata.PrefMirrorEnabled, DefaultMirrorEnabled),
		MaintainMirror: true,
		KeepAlive:      hours(p.FloatWithFallback(appdata.PrefKeepAliveHours, DefaultKeepAliveHours)),
	}
}
