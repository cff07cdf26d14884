package login

import (
	"context"
	"errors"
	"os/exec"

	"github.com/codextray/codextray/core/appserver"
	"github.com/codextray/codextray/core/auth"
)

// FindCodex returns the Codex CLI's path. Until the finder that also looks
// where a desktop app's PATH does not reach (npm's prefix, nvm, Homebrew,
// a path set in Settings) replaces it, it looks on PATH.
var FindCodex = func() (string, error) { return exec.LookPath("codex") }

// appServer returns the options for a Codex app-server with this process's
// environment (CODEX_HOME and the proxy settings pass through).
func (s *Service) appServer() (appserver.Options, error) {
	codex, err := FindCodex()
	if err != nil || codex == "" {
		return appserver.Options{}, appserver.ErrNoCodex
	}
	return appserver.Options{Codex: codex, ClientVersion: s.version}, nil
}

// SignIn starts Codex's own sign-in (flow: device code or browser); Codex
// stores the tokens where its config says. Without a Codex CLI the error
// is appserver.ErrNoCodex, which says how to install it.
func (s *Service) SignIn(ctx context.Context, flow appserver.Flow) (*appserver.SignIn, error) {
	opts, err := s.appServer()
	if err != nil {
		return nil, err
	}
	return appserver.StartSignIn(ctx, opts, flow)
}

// SignOut has Codex remove its login from every store it used.
func (s *Service) SignOut(ctx context.Context) error {
	opts, err := s.appServer()
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
	opts, err := s.appServer()
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
