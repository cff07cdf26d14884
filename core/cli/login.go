package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/codextray/codextray/core/appserver"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/textfmt"
)

// runLogin signs Codex in with Codex's own sign-in (codex app-server): it
// prints the page to open (and the code to enter there) and waits. Exit 0
// when signed in, 3 when the sign-in failed; Ctrl-C cancels it, ending
// app-server.
func runLogin(ctx context.Context, args []string, env Env) int {
	fs := newFlags("login", env)
	device := fs.Bool("device", false, "sign in with a code entered on any device (the default)")
	browser := fs.Bool("browser", false, "sign in with a browser on this machine")
	if !parseNoArgs(fs, args, env) {
		return ExitUsage
	}
	if *device && *browser {
		fmt.Fprintln(env.Stderr, "codextray login: choose --device or --browser, not both")
		return ExitUsage
	}
	flow := appserver.DeviceCode
	if *browser {
		flow = appserver.Browser
	}
	svc := services(env)
	if svc == nil {
		return ExitFailure
	}
	s, err := svc.SignIn(ctx, flow)
	if err != nil {
		fmt.Fprintln(env.Stderr, "codextray:", err)
		if appserver.KindOf(err) == appserver.KindNoCodex {
			fmt.Fprintln(env.Stderr, "Or sign in with `codex login` in a terminal once Codex is installed.")
		}
		return ExitLoginNeeded
	}
	p := s.Prompt
	if flow == appserver.DeviceCode {
		fmt.Fprintf(env.Stdout, "To sign Codex in, open this page on any device:\n\n    %s\n\nand enter the code:\n\n    %s\n\n", p.URL, p.UserCode)
		fmt.Fprintf(env.Stdout, "The code expires in %s (at %s). Waiting for the sign-in; Ctrl-C cancels.\n",
			textfmt.Duration(time.Until(p.ExpiresAt)), p.ExpiresAt.Local().Format("15:04"))
	} else {
		fmt.Fprintf(env.Stdout, "To sign Codex in, open this page in a browser on this computer:\n\n    %s\n\nWaiting for the sign-in; Ctrl-C cancels.\n", p.URL)
	}
	acct, err := s.Wait(ctx)
	if err != nil {
		fmt.Fprintln(env.Stderr, "codextray:", err)
		return ExitLoginNeeded
	}
	fmt.Fprintln(env.Stdout, signedInAs(acct))
	return ExitOK
}

// signedInAs is the sentence for a finished sign-in.
func signedInAs(a appserver.Account) string {
	switch {
	case a.Email != "" && a.Plan != "" && a.Plan != "unknown":
		return fmt.Sprintf("Signed in as %s (%s).", a.Email, auth.PlanName(a.Plan))
	case a.Email != "":
		return fmt.Sprintf("Signed in as %s.", a.Email)
	}
	return "Signed in."
}
