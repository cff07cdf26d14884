package cli

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
)

// services are the core objects the commands share.
type services struct {
	home      string
	loader    *auth.Loader
	keyring   auth.SystemKeyring
	failures  *auth.FailureStore // nil when the app's data directory is unusable
	refresher *auth.Refresher
	mirror    *auth.Mirror
}

func newServices(env Env) (*services, error) {
	home, err := auth.ResolveHome()
	if err != nil {
		return nil, err
	}
	s := &services{home: home, keyring: auth.SystemKeyring{}}
	s.loader = &auth.Loader{Home: home, Keyring: s.keyring}
	if dir, err := appdata.Dir(); err == nil {
		s.failures = auth.NewFailureStore(dir)
	}
	s.refresher = &auth.Refresher{
		Loader: s.loader, Failures: s.failures, KeyringWriter: auth.SystemCodexKeyring{},
		UserAgent: UserAgent(env),
	}
	s.mirror = &auth.Mirror{Keyring: s.keyring, Home: home}
	return s, nil
}

// UserAgent names codextray, its version and the platform.
func UserAgent(env Env) string {
	return fmt.Sprintf("codextray/%s (%s; %s)", ReadVersion(env.FyneAppTOML).Version, runtime.GOOS, runtime.GOARCH)
}

// status reads the login and builds its status.
func (s *services) status(ctx context.Context, snap auth.Snapshot, reminder time.Duration) auth.Status {
	return auth.NewStatus(snap, auth.StatusOptions{
		Now: time.Now(), Reminder: reminder,
		Mirror:  auth.ProbeMirror(ctx, s.keyring, snap),
		Relogin: s.failures.Current(),
	})
}
