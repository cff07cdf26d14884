package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/core/textfmt"
)

// runRefresh refreshes the ChatGPT tokens now, under Codex's locks. It
// exits 0 when the login ends up fresh, whether this process refreshed or
// adopted a refresh another process had just made, or finished one an
// earlier run could not write (killed, or the write failed); 3 when only
// a new sign-in can help.
func runRefresh(ctx context.Context, args []string, env Env) int {
	if !parseNoArgs(newFlags("refresh", env), args, env) {
		return ExitUsage
	}
	svc := services(env)
	if svc == nil {
		return ExitFailure
	}
	out, err := svc.RefreshNow(ctx)
	switch {
	case errors.Is(err, auth.ErrLoginNeeded):
		fmt.Fprintln(env.Stderr, "codextray:", err)
		return ExitLoginNeeded
	case err != nil:
		fmt.Fprintln(env.Stderr, "codextray:", err)
		return ExitFailure
	}
	fmt.Fprintln(env.Stdout, refreshSentence(out))
	return ExitOK
}

// refreshSentence is how the command line words a refresh's outcome.
func refreshSentence(out login.RefreshOutcome) string {
	var verb string
	switch out.Kind {
	case login.NoTokenAPIKey:
		return "Codex uses an API key; there is no token to refresh."
	case login.Recovered:
		verb = "Finished a refresh that an earlier run could not write"
	case login.Adopted:
		verb = "Another program refreshed the login just now; using it"
	default:
		verb = "Refreshed"
	}
	if out.Expires.IsZero() {
		return verb + "."
	}
	return fmt.Sprintf("%s: the token is valid until %s (%s).", verb, out.Expires.Local().Format("2006-01-02 15:04 MST"), textfmt.Duration(time.Until(out.Expires)))
}

// runRestore writes the login kept in the keychain mirror back to
// auth.json, when auth.json is gone or unreadable.
func runRestore(ctx context.Context, args []string, env Env) int {
	if !parseNoArgs(newFlags("restore", env), args, env) {
		return ExitUsage
	}
	svc := services(env)
	if svc == nil {
		return ExitFailure
	}
	st, err := svc.Restore(ctx)
	if err != nil {
		fmt.Fprintln(env.Stderr, "codextray: restore:", err)
		return ExitFailure
	}
	fmt.Fprintf(env.Stdout, "Restored the Codex login from the keychain. %s\n", st.Message)
	return ExitOK
}
