package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/autostart"
	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/cli"
	"github.com/codextray/codextray/core/history"
	"github.com/codextray/codextray/core/instance"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/core/platform"
	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/core/textfmt"
	"github.com/codextray/codextray/ui/chatwin"
	"github.com/codextray/codextray/ui/control"
	"github.com/codextray/codextray/ui/host"
	"github.com/codextray/codextray/ui/tray"
	"github.com/codextray/codextray/ui/view"
)

// The one place each process's services are built, once: the login
// machinery, one backend client and the adapters that turn them into what
// ui asks for. The adapters hold no logic beyond wording outcomes.

// services are one process's core services.
type services struct {
	login   *login.Service
	client  *provider.Client // nil when config.toml is unreadable
	errConf error            // why client is nil
	deps    control.Deps
	stop    context.CancelFunc
}

// newServices builds the services, with a context that SIGINT or SIGTERM
// ends (stop releases it).
func newServices() (*services, error) {
	version := cli.ReadVersion(fyneAppTOML).Version
	svc, err := login.New(version)
	if err != nil {
		return nil, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	s := &services{login: svc, stop: stop}
	format := textfmt.Local()
	s.client, s.errConf = svc.Backend(version)
	s.deps = control.Deps{
		Context:      ctx,
		Version:      version,
		Watch:        svc.Watch,
		Login:        loginActions{svc, format},
		SignIn:       signIn,
		Codex:        svc,
		StartAtLogin: startAtLogin{},
		Format:       format,
	}
	if s.client != nil { // nil hides models and usage
		s.deps.Backend = control.ProviderBackend(s.client)
		s.deps.UsageMonitor = newUsageMonitor(s.client)
	}
	return s, nil
}

func signIn() error { return platform.OpenInTerminal(platform.LoginCommand) }

// trayGCPercent is the tray process's GOGC. The tray runs all day and
// keeps about 1.5 MB of live heap; with Go's default of 100 its heap may
// grow to the 4 MB minimum goal and stay resident. At 25 the goal is about
// 2 MB, for a collection of a few hundred microseconds now and then (it
// allocates little when idle). $GOGC, when set, wins.
const trayGCPercent = 25

func runTray(open string) error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(trayGCPercent)
	}
	srv, err := instance.Claim(instance.SocketPath(os.Getenv), instance.Request{Open: open})
	if errors.Is(err, instance.ErrHandedOver) {
		return nil // the running instance opens the window
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	s, err := newServices()
	if err != nil {
		return err
	}
	defer s.stop()
	requests := make(chan view.Window)
	go forwardRequests(s.deps.Context, srv, open, requests) // ends with the context
	s.deps.Requests = requests
	s.deps.WindowHost = func() *exec.Cmd {
		cmd := exec.Command(exe, windowHostFlag)
		if os.Stderr != nil { // nil in a Windows GUI program without a console
			cmd.Stderr = os.Stderr
		}
		return cmd
	}
	return tray.Run(s.deps)
}

// runWindowHost runs the windows for the tray process that started it,
// taking its requests on stdin.
func runWindowHost() error {
	s, err := newServices()
	if err != nil {
		return err
	}
	defer s.stop()
	return host.Run(s.deps, s.chatDeps(), os.Stdin, os.Stdout)
}

// chatDeps are the chat window's own services: the process's backend
// client streams the turns, core/chat reads and fits dropped images, and
// the conversations are saved in history.db in the app's data directory.
func (s *services) chatDeps() chatwin.Deps {
	d := chatwin.Deps{
		LoadFile:       chat.LoadFile,
		SignIn:         signIn,
		WindowPosition: platform.WindowPosition,
		MoveWindow:     platform.MoveWindow,
		// Fyne's clipboard is text only: an image comes from the system's tools.
		ClipboardImage: func(ctx context.Context) (chat.Attachment, error) {
			name, data, err := platform.ClipboardImage(ctx)
			if err != nil {
				return chat.Attachment{}, err
			}
			return chat.PrepareImage(name, data)
		},
		OpenHistory: func(ctx context.Context) (chatwin.History, error) {
			dir, err := appdata.Dir()
			if err != nil {
				return nil, err
			}
			h, err := chat.OpenHistory(ctx, history.DefaultPath(dir))
			if err != nil {
				return nil, err
			}
			return h, nil
		},
	}
	if s.client == nil { // config.toml unreadable: every turn says why
		err := s.errConf
		d.Stream = func(context.Context, provider.TurnRequest) (chat.Stream, error) { return nil, err }
	} else {
		d.Stream = chat.ClientStream(s.client)
	}
	return d
}

// forwardRequests hands the first start's own --open and every later
// start's request to the tray until ctx ends.
func forwardRequests(ctx context.Context, srv *instance.Server, open string, out chan<- view.Window) {
	reqs := make(chan instance.Request)
	go func() { _ = srv.Serve(ctx, reqs) }() // ends with ctx
	send := func(name string) bool {
		w, _ := view.ParseWindow(name) // an unknown name opens the chat
		select {
		case out <- w:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if open != "" && !send(open) {
		return
	}
	for {
		select {
		case r := <-reqs:
			if !send(r.Open) {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// loginActions words core/login's use-cases for the tray and the windows,
// with times in the format every view uses.
type loginActions struct {
	svc    *login.Service
	format textfmt.Format
}

func (l loginActions) Refresh(ctx context.Context) (string, error) {
	out, err := l.svc.RefreshNow(ctx)
	if err != nil {
		return "", err
	}
	verb := "Refreshed"
	switch out.Kind {
	case login.NoTokenAPIKey:
		return "Codex uses an API key; there is no token to refresh.", nil
	case login.Recovered:
		verb = "Finished a refresh an earlier run could not write"
	case login.Adopted:
		verb = "Another program had just refreshed the login; using it"
	}
	if out.Expires.IsZero() {
		return verb + ".", nil
	}
	return fmt.Sprintf("%s: the token is valid until %s.", verb, l.format.Clock(out.Expires, time.Now())), nil
}

func (l loginActions) RestoreOffer(ctx context.Context) (string, bool, error) {
	offer, err := l.svc.RestoreOffer(ctx)
	if err != nil || offer == nil {
		return "", false, err
	}
	reason := offer.Reason
	if !offer.Meta.SavedAt.IsZero() {
		reason += "; the keychain holds the login saved " + l.format.Clock(offer.Meta.SavedAt, time.Now())
	}
	return reason, true, nil
}

func (l loginActions) Restore(ctx context.Context) (string, error) {
	st, err := l.svc.Restore(ctx)
	if err != nil {
		return "", err
	}
	return "Restored the Codex login from the keychain. " + st.Message, nil
}

// startAtLogin adapts core/autostart to control.StartAtLogin.
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
