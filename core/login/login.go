// Package login owns the running view of the Codex login for the tray and
// the command line: it builds the core/auth services once (loader, keychain,
// refresher, mirror, remembered failures), turns every change of the login
// into a Status, keeps the keychain mirror current and, when asked, keeps
// the token alive.
package login

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/codexcli"
	"github.com/codextray/codextray/core/provider"
)

// Service is the login machinery of one process.
type Service struct {
	Home      string
	Loader    *auth.Loader
	Keyring   auth.SystemKeyring
	Failures  *auth.FailureStore // nil when the app's data directory is unusable
	Refresher *auth.Refresher
	Mirror    *auth.Mirror

	codexOnce sync.Once
	codex     *codexcli.CLI
	codexErr  error
}

// CodexCLI is the installed Codex CLI (the Settings path wins), looked up
// once per process; nil with an error when none is found.
func (s *Service) CodexCLI(ctx context.Context) (*codexcli.CLI, error) {
	s.codexOnce.Do(func() {
		var path string
		if prefs, err := appdata.PreferencesPath(); err == nil {
			path = appdata.OpenPrefs(prefs).String(appdata.PrefCodexPath)
		}
		s.codex, s.codexErr = codexcli.Find(ctx, codexcli.Options{Path: path})
	})
	return s.codex, s.codexErr
}

// New builds the services for the Codex home in the environment.
func New(version string) (*Service, error) {
	home, err := auth.ResolveHome()
	if err != nil {
		return nil, err
	}
	s := &Service{Home: home, Keyring: auth.SystemKeyring{}}
	s.Loader = &auth.Loader{Home: home, Keyring: s.Keyring}
	var journal *auth.RefreshJournal
	var readers *auth.ReadWatch
	var watch func() (*auth.ReadWatch, error)
	if dir, err := appdata.Dir(); err == nil {
		s.Failures = auth.NewFailureStore(dir)
		journal = auth.NewRefreshJournal(dir)
		// Every read of auth.json is marked as Codex Tray's, and reads by
		// other programs (Codex about to refresh) are watched for, so that
		// a refresh never spends a token Codex has just read.
		s.Loader.ReadMarker = auth.ReadMarkerPath(dir, home)
		watch = func() (*auth.ReadWatch, error) { return auth.StartReadWatch(home, dir) }
		readers, _ = watch()
	}
	s.Refresher = &auth.Refresher{
		Loader: s.Loader, Failures: s.Failures, KeyringWriter: auth.SystemCodexKeyring{},
		UserAgent: UserAgent(version), Journal: journal, Readers: readers, WatchReaders: watch,
	}
	s.Mirror = &auth.Mirror{Keyring: s.Keyring, Home: home}
	return s, nil
}

// UserAgent names codextray, its version and the platform.
func UserAgent(version string) string {
	return fmt.Sprintf("codextray/%s (%s; %s)", version, runtime.GOOS, runtime.GOARCH)
}

// Settings are the user's choices that shape the status and the background
// work.
type Settings struct {
	Reminder      time.Duration // auth.DefaultReminder when zero
	MirrorEnabled bool
	// MaintainMirror makes Watch look after the login: save every readable
	// login to the keychain mirror, and first finish a refresh that an
	// earlier run could not write (the tray app does; a status command only
	// reports).
	MaintainMirror bool
	// KeepAlive, when positive, refreshes the token whenever it is within
	// KeepAlive of expiry (the opt-in keep-alive setting).
	KeepAlive time.Duration
}

// Status builds the status of a snapshot.
func (s *Service) Status(ctx context.Context, snap auth.Snapshot, set Settings) auth.Status {
	mirror := auth.MirrorDisabled
	if set.MirrorEnabled {
		mirror = auth.ProbeMirror(ctx, s.Keyring, snap)
	}
	return auth.NewStatus(snap, auth.StatusOptions{
		Now: time.Now(), Reminder: set.Reminder, Mirror: mirror, Relogin: s.Failures.Current(),
	})
}

// Watch sends a status at once and again at every change: of the login on
// disk or in the keychain, or of the state with time alone (valid to
// expiring to expired). With MaintainMirror it finishes an interrupted
// refresh and saves every readable login to the keychain first. It returns
// when ctx ends.
func (s *Service) Watch(ctx context.Context, set Settings, out chan<- auth.Status) error {
	defer close(out)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	snaps := make(chan auth.Snapshot)
	done := make(chan error, 1)
	w := auth.NewWatcher(s.Loader)
	go func() { done <- w.Run(ctx, snaps) }()
	if set.KeepAlive > 0 {
		go s.Refresher.KeepAlive(ctx, set.KeepAlive, time.Minute, nil)
	}

	var last auth.Snapshot
	clock := time.NewTimer(time.Hour)
	clock.Stop()
	send := func(snap auth.Snapshot) bool {
		if set.MaintainMirror && snap.Doc != nil {
			// A no-op without a journal. On failure the journal stays for
			// the next refresh, which reports the error.
			if doc, err := s.Refresher.Recover(ctx); err == nil && doc != nil {
				snap.Doc = doc // the watcher reports the rewrite too, as no change
			}
		}
		last = snap
		if set.MirrorEnabled && set.MaintainMirror && snap.Doc != nil {
			_ = s.Mirror.Save(ctx, snap.Doc) // an unavailable keychain shows as mirror: unavailable
		}
		st := s.Status(ctx, snap, set)
		clock.Stop()
		if next := st.NextChange(set.Reminder); !next.IsZero() {
			clock.Reset(time.Until(next) + 10*time.Millisecond)
		}
		select {
		case out <- st:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		select {
		case snap, ok := <-snaps:
			if !ok {
				return <-done
			}
			if !send(snap) {
				return nil
			}
		case <-clock.C:
			if !send(last) {
				return nil
			}
		}
	}
}

// SettingsFromPreferences reads the user's settings as the Settings window
// saved them, for a command: MaintainMirror is off.
func SettingsFromPreferences() Settings {
	path, _ := appdata.PreferencesPath() // none: every setting takes its default
	set := SettingsFrom(appdata.OpenPrefs(path))
	set.MaintainMirror = false
	return set
}

// Backend is the client of the ChatGPT backend (or the API, for an API-key
// login) with the base URLs from the environment, then config.toml, then
// the defaults, and credentials that are refreshed as Codex would.
func (s *Service) Backend(version string) (*provider.Client, error) {
	cfg, err := auth.LoadConfig(s.Home)
	if err != nil {
		return nil, err
	}
	chatgpt, openai := provider.ResolveBaseURLs(cfg)
	var codexVersion string
	if cli, err := s.CodexCLI(context.Background()); err == nil {
		codexVersion = cli.Version
	}
	return provider.New(provider.Options{
		CodexVersion:   codexVersion,
		Credentials:    provider.RefreshingSource{Refresher: s.Refresher},
		ChatGPTBaseURL: chatgpt,
		OpenAIBaseURL:  openai,
		AppVersion:     version,
	}), nil
}
