package cli

import (
	"context"
	"fmt"
	"io"
	"time"

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

func writeUsageText(w io.Writer, rl provider.RateLimits, now time.Time) {
	if rl.PlanType != "" {
		fmt.Fprintf(w, "Plan: %s\n", auth.PlanName(rl.PlanType))
	}
	window := func(name string, win *provider.Window) {
		if win == nil {
			return
		}
		line := fmt.Sprintf("%s%s: %.0f%% used", name, windowName(win.WindowMinutes), win.UsedPercent)
		if !win.ResetsAt.IsZero() {
			line += ", resets " + provider.FormatResetTime(win.ResetsAt, now)
		}
		fmt.Fprintln(w, line)
	}
	window("", rl.Primary)
	window("", rl.Secondary)
	for _, l := range rl.Additional {
		name := l.Name
		if name == "" {
			name = l.ID
		}
		window(name+" ", l.Primary)
		window(name+" ", l.Secondary)
	}
	if c := rl.Credits; c != nil {
		switch {
		case c.Unlimited:
			fmt.Fprintln(w, "Credits: unlimited")
		case c.HasCredits:
			fmt.Fprintf(w, "Credits: %s\n", c.Balance)
		}
	}
	if rl.LimitReached {
		fmt.Fprintln(w, "The usage limit is reached.")
	}
}

func windowName(minutes int) string {
	switch {
	case minutes == 0:
		return "limit"
	case minutes == 7*24*60:
		return "weekly limit"
	case minutes%(24*60) == 0:
		return fmt.Sprintf("%d-day limit", minutes/(24*60))
	case minutes%60 == 0:
		return fmt.Sprintf("%d-hour limit", minutes/60)
	}
	return fmt.Sprintf("%d-minute limit", minutes)
}
