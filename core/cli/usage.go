package cli

import (
	"context"
	"fmt"
	"io"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/provider"
)

func runUsage(ctx context.Context, args []string, env Env) int {
	fs := newFlags("usage", env)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "codextray usage: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	client, err := newBackend(env)
	if err != nil {
		return reportBackendError(env, "usage", err)
	}
	rl, err := client.Usage(ctx)
	if err != nil {
		return reportBackendError(env, "usage", err)
	}
	if *asJSON {
		if err := writeJSONLine(env.Stdout, rl); err != nil {
			return ExitFailure
		}
		return ExitOK
	}
	writeUsageText(env.Stdout, rl, time.Now())
	return ExitOK
}

func writeUsageText(out io.Writer, rl provider.RateLimits, now time.Time) {
	if rl.PlanType != "" {
		fmt.Fprintf(out, "Plan: %s\n", auth.PlanName(rl.PlanType))
	}
	for _, w := range rl.Windows() {
		// The label starts the line, capitalised as the tray and the
		// windows show it: "5 h", "Week", "Month", "Codex Spark · 5 h".
		line := fmt.Sprintf("%s: %.0f%% used", capitalise(w.Label), w.Window.UsedPercent)
		if !w.Window.ResetsAt.IsZero() {
			line += ", resets " + provider.FormatResetTime(w.Window.ResetsAt, now)
		}
		fmt.Fprintln(out, line)
	}
	if c := rl.Credits; c != nil {
		switch {
		case c.Unlimited:
			fmt.Fprintln(out, "Credits: unlimited")
		case c.HasCredits:
			fmt.Fprintf(out, "Credits: %s\n", c.Balance)
		}
	}
	if rl.LimitReached {
		fmt.Fprintln(out, "The usage limit is reached.")
	}
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
