package ui

import (
	"context"
	"os/exec"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/core/usage"
)

// Options is what Run needs from the rest of the program. Everything that
// does I/O is injected here; ui only calls it off the UI goroutine.
type Options struct {
	// Context ends the app when it is done (on SIGTERM); nil never does.
	Context context.Context

	// Version is the program's version, for display and diagnostics.
	Version string

	// Watch sends the login status at once and again at every change until
	// ctx ends, then closes out (login.Service.Watch). Run starts it with the
	// settings from Fyne preferences and restarts it when they change.
	Watch func(ctx context.Context, set login.Settings, out chan<- auth.Status) error

	// Backend lists models and usage windows; nil hides them.
	Backend Backend
	// UsageMonitor returns the usage monitor (core/usage) with its Source
	// and Store set, the same one on every call; ui sets its callbacks and
	// runs it. Nil: usage comes from Backend alone, without pace, history,
	// credits or usage notifications.
	UsageMonitor func() *usage.Monitor
	// Login runs the login actions of the menu; nil disables them.
	Login LoginActions

	// SignIn opens a terminal running `codex login`; when nil or when it
	// fails, the command is shown with a Copy button instead.
	SignIn func() error

	// OpenChat opens the chat window (the menu item and a left click on the
	// tray icon) in the window host; hidden is to be called once the window
	// is hidden with no answer streaming (ChatOpener). It runs on the UI
	// goroutine. Nil opens a placeholder.
	OpenChat func(hidden func())

	// StartAtLogin reads and switches starting the app at login; nil hides
	// the setting.
	StartAtLogin StartAtLogin

	// Requests are windows to open, handed over by later starts of the
	// program: "chat", "status" or "settings".
	Requests <-chan string

	// WindowHost, in the tray process, makes the command that starts the
	// window host (the program running RunWindowHost); windows cannot open
	// when nil.
	WindowHost func() *exec.Cmd
}

// Backend is what ui needs from the backend (core/provider).
type Backend interface {
	Models(ctx context.Context) (ModelList, error)
	Usage(ctx context.Context) (Usage, error)
}

// LoginActions are the user's commands on the login (core/auth). Each
// returns one sentence for the user.
type LoginActions interface {
	// Refresh refreshes the tokens now.
	Refresh(ctx context.Context) (string, error)
	// RestoreOffer says whether the keychain mirror can give back a lost
	// login, and why it is needed.
	RestoreOffer(ctx context.Context) (reason string, ok bool, err error)
	// Restore writes the mirrored login back to auth.json.
	Restore(ctx context.Context) (string, error)
}

// StartAtLogin is the OS's start-at-login entry for the app (core/autostart).
type StartAtLogin interface {
	Enabled() (bool, error)
	SetEnabled(on bool) error
}

// Model is one model the subscription can use.
type Model struct {
	Slug          string
	Name          string
	Efforts       []string // reasoning efforts it supports
	DefaultEffort string
}

// ModelList is the live model list and the backend's default.
type ModelList struct {
	Models  []Model
	Default string
}

// Find returns the model with slug.
func (l ModelList) Find(slug string) (Model, bool) {
	for _, m := range l.Models {
		if m.Slug == slug {
			return m, true
		}
	}
	return Model{}, false
}

// Usage is the plan's usage windows, shortest first.
type Usage struct {
	Windows      []UsageWindow
	LimitReached bool
}

// UsageWindow is one usage window ("5 h", "Week").
type UsageWindow struct {
	Minutes     int // the window's length
	UsedPercent float64
	ResetsAt    time.Time // zero when unknown
	Label       string    // "5 h", "Week", "Codex Spark · 5 h"; "" names it by Minutes
	Pace        string    // "runs out in 1 h 40 min", "lasts to reset"; "" without a pace
}
