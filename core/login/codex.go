package login

import (
	"context"
	"errors"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/appserver"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/codexcli"
)

// FindCodex, when set (tests), replaces the search for the Codex CLI.
var FindCodex func() (string, error)

// findCodex returns the Codex CLI's path: the one set in Settings, else
// the one on PATH or in the usual install folders (core/codexcli). It
// looks again each time, unlike CodexCLI, so that a Codex installed while
// the app runs is found at the next try.
func (s *Service) findCodex(ctx context.Context) (string, error) {
	if FindCodex != nil {
		return FindCodex()
	}
	cli, err := codexcli.Find(ctx, codexcli.Options{Path: settingsCodexPath()})
	if err != nil {
		return "", err
	}
	return cli.Path, nil
}

// settingsCodexPath is the Codex CLI's path set in Settings, "" when none.
func settingsCodexPath() string {
	path, err := appdata.PreferencesPath()
	if err != nil {
		return ""
	}
	return appdata.OpenPrefs(path).String(appdata.PrefCodexPath)
}

// appServer returns the options for a Codex app-server with this process's
// environment (CODEX_HOME and the proxy settings pass through).
func (s *Service) appServer(ctx context.Context) (appserver.Options, error) {
	codex, err := s.findCodex(ctx)
	switch {
	case errors.Is(err, codexcli.ErrNotFound) || err == nil && codex == "":
		return appserver.Options{}, appserver.ErrNoCodex
	case err != nil:
		return appserver.Options{}, &appserver.LoginError{Kind: appserver.KindNoCodex, Detail: err.Error()}
	}
	return appserver.Options{Codex: codex, ClientVersion: s.version}, nil
}

// SignIn starts Codex's own sign-in (flow: device code or browser); Codex
// stores the tokens where its config says. Without a Codex CLI the error
// is appserver.ErrNoCodex, which says how to install it.
func (s *Service) SignIn(ctx context.Context, flow appserver.Flow) (*appserver.SignIn, error) {
	opts, err := s.appServer(ctx)
	if err != nil {
		return nil, err
	}
	return appserver.StartSignIn(ctx, opts, flow)
}

// SignOut has Codex remove its login from every store it used.
func (s *Service) SignOut(ctx context.Context) error {
	opts, err := s.appServer(ctx)
	if err != nil {
		return err
	}
	return appserver.SignOut(ctx, opts)
}

// refreshThroughCodex has Codex refresh the login with its own code
// (account/read with refreshToken): the Refresher calls it where it cannot
// see Codex reading the login (see auth.Refresher.ViaCodex). Without a
// Codex CLI it returns auth.ErrCodexUnavailable, and the Refresher refreshes
// under Codex's locks itself.
func (s *Service) refreshThroughCodex(ctx context.Context) error {
	opts, err := s.appServer(ctx)
	if err != nil {
		return auth.ErrCodexUnavailable
	}
	_, requiresAuth, err := appserver.ReadAccount(ctx, opts, true)
	switch {
	case appserver.KindOf(err) == appserver.KindNoCodex || appserver.KindOf(err) == appserver.KindTooOld:
		return errors.Join(auth.ErrCodexUnavailable, err)
	case err != nil:
		return err
	case requiresAuth:
		return auth.ErrCodexSignedOut
	}
	return nil
}
