package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/codextray/codextray/core/auth"
)

func runStatus(ctx context.Context, args []string, env Env) int {
	fs := newFlags("status", env)
	asJSON := fs.Bool("json", false, "print one JSON object (with --watch, one per line)")
	watch := fs.Bool("watch", false, "keep running and print the status again at every change of the login")
	reminder := fs.Duration("reminder", auth.DefaultReminder, "how long before expiry the login counts as expiring")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "codextray status: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	svc, err := newServices(env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "codextray:", err)
		return ExitFailure
	}
	loader := svc.loader
	status := func(s auth.Snapshot) auth.Status { return svc.status(ctx, s, *reminder) }
	print := func(st auth.Status) error {
		if *asJSON {
			return writeJSONLine(env.Stdout, st)
		}
		writeStatusText(env.Stdout, st, *watch)
		return nil
	}
	if !*watch {
		s := loader.Load(ctx)
		st := status(s)
		if err := print(st); err != nil {
			fmt.Fprintln(env.Stderr, "codextray:", err)
			return ExitFailure
		}
		return statusExitCode(st)
	}
	return watchStatus(ctx, loader, status, *reminder, print, env)
}

// watchStatus prints the status at once and again whenever it changes: on a
// change of the login, or when time alone moves it (valid to expiring to
// expired). It ends with 0 on SIGINT/SIGTERM.
func watchStatus(ctx context.Context, loader *auth.Loader, status func(auth.Snapshot) auth.Status,
	reminder time.Duration, print func(auth.Status) error, env Env) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	snaps := make(chan auth.Snapshot)
	w := auth.NewWatcher(loader)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, snaps) }()

	var last auth.Snapshot
	var lastKey string
	clock := time.NewTimer(time.Hour)
	clock.Stop()
	show := func(s auth.Snapshot) bool {
		last = s
		st := status(s)
		if key := statusKey(st); key != lastKey {
			lastKey = key
			if err := print(st); err != nil {
				fmt.Fprintln(env.Stderr, "codextray:", err)
				return false
			}
		}
		clock.Stop()
		if next := st.NextChange(reminder); !next.IsZero() {
			clock.Reset(time.Until(next) + 10*time.Millisecond)
		}
		return true
	}
	for {
		select {
		case s, ok := <-snaps:
			if !ok {
				if err := <-done; err != nil {
					fmt.Fprintln(env.Stderr, "codextray: watching the login failed:", err)
					return ExitFailure
				}
				return ExitOK
			}
			if !show(s) {
				return ExitFailure
			}
		case <-clock.C:
			if !show(last) {
				return ExitFailure
			}
		}
	}
}

// statusKey is the status without the countdown, which changes every second
// and is not a change of the login.
func statusKey(st auth.Status) string {
	st.ExpiresInSeconds = nil
	b, _ := json.Marshal(st)
	return string(b)
}

func statusExitCode(st auth.Status) int {
	switch st.State {
	case auth.StateLoggedOut, auth.StateReloginRequired:
		return ExitLoginNeeded
	case auth.StateError:
		return ExitFailure
	}
	return ExitOK
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func writeStatusText(w io.Writer, st auth.Status, stamp bool) {
	if stamp {
		fmt.Fprintf(w, "[%s] ", time.Now().Format("15:04:05"))
	}
	fmt.Fprintln(w, st.Message)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "  %s\t%s\n", k, v)
		}
	}
	row("Account", st.Email)
	if st.Plan != "" {
		row("Plan", auth.PlanName(st.Plan))
	}
	row("Account ID", st.AccountID)
	if !st.Expires.IsZero() {
		when := st.Expires.Local().Format("2006-01-02 15:04 MST")
		if left := time.Until(st.Expires); left > 0 {
			when += " (in " + auth.HumanDuration(left) + ")"
		} else {
			when += " (" + auth.HumanDuration(left) + " ago)"
		}
		row("Expires", when)
	}
	row("Last refresh", st.LastRefresh)
	row("API key", st.APIKey)
	row("Codex home", st.CodexHome)
	store := st.Store
	if st.Source != "none" {
		store += ", read from the " + strings.Replace(st.Source, "keyring", "keychain", 1)
	}
	row("Store", store)
	row("Keychain mirror", strings.ReplaceAll(st.Mirror, "_", " "))
	row("State", string(st.State))
	tw.Flush()
}
