package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/core/textfmt"
)

func runStatus(ctx context.Context, args []string, env Env) int {
	fs := newFlags("status", env)
	asJSON := fs.Bool("json", false, "print one JSON object (with --watch, one per line)")
	watch := fs.Bool("watch", false, "keep running and print the status again at every change of the login")
	reminder := fs.Duration("reminder", auth.DefaultReminder, "how long before expiry the login counts as expiring")
	if !parseNoArgs(fs, args, env) {
		return ExitUsage
	}
	svc := services(env)
	if svc == nil {
		return ExitFailure
	}
	set := login.SettingsFromPreferences()
	if reminderSet(fs) {
		set.Reminder = *reminder
	}
	set.KeepAlive = 0 // a status command never refreshes
	var codexCLI *auth.CodexCLI
	if cli, err := svc.CodexCLI(ctx); err == nil {
		codexCLI = &auth.CodexCLI{Path: cli.Path, Version: cli.Version}
	}
	// A workspace routing problem the chat, models or usage met, read from
	// their note on disk: status neither asks the network nor reads the
	// credentials through the refresher (it never refreshes).
	var chatgptBase string
	if cfg, err := auth.LoadConfig(svc.Home); err == nil {
		chatgptBase, _ = provider.ResolveBaseURLs(cfg)
	}
	warned := false
	print := func(st auth.Status) error {
		st.CodexCLI = codexCLI
		if st.Mode == "chatgpt" && chatgptBase != "" {
			if routing := provider.RoutingProblem("", chatgptBase, st.AccountID); routing != "" {
				st.Error = routing
				st.Message += " " + routing
			}
		}
		// A warning, on stderr: the JSON object and its message stay
		// as docs/DESIGN.md defines them.
		if perm, open := auth.OpenToOthers(svc.Loader.AuthPath()); open && st.Source == string(auth.SourceFile) {
			if !warned {
				fmt.Fprintf(env.Stderr, "codextray: warning: %s can be read by other users (mode %04o); keep it private with: chmod 600 %s\n",
					svc.Loader.AuthPath(), perm, svc.Loader.AuthPath())
			}
			warned = true
		} else {
			warned = false
		}
		if *asJSON {
			return writeJSONLine(env.Stdout, st)
		}
		writeStatusText(env.Stdout, st, *watch)
		return nil
	}
	if !*watch {
		st := svc.Status(ctx, svc.Loader.Load(ctx), set)
		if err := print(st); err != nil {
			fmt.Fprintln(env.Stderr, "codextray:", err)
			return ExitFailure
		}
		return statusExitCode(st)
	}
	// Print a line at once and then at every change; the countdown alone
	// is not a change.
	statuses := make(chan auth.Status)
	done := make(chan error, 1)
	go func() { done <- svc.Watch(ctx, set, statuses) }()
	var lastKey string
	for st := range statuses {
		if key := statusKey(st); key != lastKey {
			lastKey = key
			if err := print(st); err != nil {
				fmt.Fprintln(env.Stderr, "codextray:", err)
				return ExitFailure
			}
		}
	}
	if err := <-done; err != nil {
		fmt.Fprintln(env.Stderr, "codextray: watching the login failed:", err)
		return ExitFailure
	}
	return ExitOK
}

func reminderSet(fs *flag.FlagSet) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "reminder" })
	return set
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
			when += " (in " + textfmt.Duration(left) + ")"
		} else {
			when += " (" + textfmt.Duration(left) + " ago)"
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
