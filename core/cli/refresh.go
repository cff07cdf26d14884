package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/codextray/codextray/core/auth"
)

// runRefresh refreshes the ChatGPT tokens now, under Codex's locks. It
// exits 0 when the login ends up fresh, whether this process refreshed or
// adopted a refresh another process had just made, or finished one an
// earlier run could not write (killed, or the write failed); 3 when only
// a new sign-in can help.
func runRefresh(ctx context.Context, args []string, env Env) int {
	fs := newFlags("refresh", env)
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return ExitUsage
	}
	svc, err := newServices(env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "codextray:", err)
		return ExitFailure
	}
	// An earlier refresh whose tokens were never written comes first: its
	// refresh token is spent, so refreshing again could only fail.
	doc, err := svc.Refresher.Recover(ctx)
	if err != nil {
		fmt.Fprintln(env.Stderr, "codextray:", err)
		return ExitFailure
	}
	verb := "Finished a refresh that an earlier run could not write"
	if doc == nil {
		snap := svc.Loader.Load(ctx)
		switch {
		case snap.Err != nil:
			fmt.Fprintln(env.Stderr, "codextray: cannot read the Codex login:", snap.Err)
			return ExitFailure
		case snap.Doc == nil:
			fmt.Fprintln(env.Stderr, "codextray: not signed in to Codex. Sign in with `codex login`.")
			return ExitLoginNeeded
		case snap.Doc.Mode() == "apikey":
			fmt.Fprintln(env.Stdout, "Codex uses an API key; there is no token to refresh.")
			return ExitOK
		}
		res, err := svc.Refresher.Refresh(ctx, snap.Doc, "forced")
		if err != nil {
			fmt.Fprintln(env.Stderr, "codextray:", err)
			if errors.Is(err, auth.ErrLoginNeeded) {
				return ExitLoginNeeded
			}
			return ExitFailure
		}
		doc = res.Doc
		switch {
		case res.Refreshed:
			verb = "Refreshed"
		case !res.Recovered:
			verb = "Another program refreshed the login just now; using it"
		}
	}
	exp := auth.AccessExpiry(doc)
	if exp.IsZero() {
		fmt.Fprintf(env.Stdout, "%s.\n", verb)
	} else {
		fmt.Fprintf(env.Stdout, "%s: the token is valid until %s (%s).\n", verb, exp.Local().Format("2006-01-02 15:04 MST"), auth.HumanDuration(time.Until(exp)))
	}
	// Keep the keychain mirror current; a missing keychain is not an error.
	_ = svc.Mirror.Save(ctx, doc)
	return ExitOK
}

// runRestore writes the login kept in the keychain mirror back to
// auth.json, when auth.json is gone or unreadable.
func runRestore(ctx context.Context, args []string, env Env) int {
	fs := newFlags("restore", env)
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return ExitUsage
	}
	svc, err := newServices(env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "codextray:", err)
		return ExitFailure
	}
	doc, err := svc.Mirror.Restore(ctx, svc.Loader)
	if err != nil {
		fmt.Fprintln(env.Stderr, "codextray: restore:", err)
		return ExitFailure
	}
	st := auth.NewStatus(auth.Snapshot{Home: svc.Home, Source: auth.SourceFile, Doc: doc}, auth.StatusOptions{Now: time.Now()})
	fmt.Fprintf(env.Stdout, "Restored the Codex login from the keychain. %s\n", st.Message)
	return ExitOK
}
