package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/core/textfmt"
	"github.com/codextray/codextray/core/usage"
)

// usageJSON is `usage --json`: the backend's rate limits as before, plus
// every window by length with its pace, and the reset credits.
type usageJSON struct {
	provider.RateLimits
	Windows      []windowJSON           `json:"windows"`
	ResetCredits *provider.ResetCredits `json:"reset_credits,omitempty"`
	UpdatedAt    time.Time              `json:"updated_at"`
}

type windowJSON struct {
	usage.Window
	// Pace is null until there are enough samples (usage.MinPaceSamples
	// over usage.MinPaceSpan).
	Pace      *usage.Pace `json:"pace"`
	RunsOutAt *time.Time  `json:"runs_out_at"` // null: lasts until the reset, or no pace yet
	PaceText  string      `json:"pace_text"`
}

func runUsage(ctx context.Context, args []string, env Env) int {
	if len(args) > 0 && args[0] == "redeem" {
		return runRedeem(ctx, args[1:], env)
	}
	fs := newFlags("usage", env)
	asJSON := fs.Bool("json", false, "print one JSON object")
	check := fs.String("check", "", "exit 4 when any window is at or above this percent")
	hist := fs.Bool("history", false, "print the stored samples instead of asking the backend")
	since := fs.String("since", "7d", "with --history: how far back (e.g. 90m, 36h, 7d)")
	if !parseNoArgs(fs, args, env) {
		return ExitUsage
	}
	if *hist {
		if *check != "" {
			fmt.Fprintln(env.Stderr, "codextray usage: --history and --check do not go together")
			return ExitUsage
		}
		d, err := parseSince(*since)
		if err != nil {
			fmt.Fprintf(env.Stderr, "codextray usage: --since %q: %v\n", *since, err)
			return ExitUsage
		}
		return printHistory(ctx, env, time.Now().Add(-d), *asJSON)
	}
	checkPct := math.NaN()
	if *check != "" {
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(*check), "%"), 64)
		if err != nil || v < 0 || v > 100 || math.IsNaN(v) {
			fmt.Fprintf(env.Stderr, "codextray usage: --check %q is not a percent between 0 and 100\n", *check)
			return ExitUsage
		}
		checkPct = v
	}
	client, err := newBackend(env)
	if err != nil {
		return reportBackendError(env, "usage", err)
	}
	rl, err := client.Usage(ctx)
	if err != nil {
		return reportBackendError(env, "usage", err)
	}
	now := time.Now()
	out := usageJSON{RateLimits: rl, UpdatedAt: now.UTC()}
	// The credit list is asked only when there may be credits (and not for
	// a check, which is about the windows).
	if math.IsNaN(checkPct) && (rl.ResetCreditsAvailable == nil || *rl.ResetCreditsAvailable > 0) {
		if rc, err := client.ResetCredits(ctx); err == nil {
			out.ResetCredits = &rc
		} else if !*asJSON {
			fmt.Fprintln(env.Stderr, "codextray usage: the reset credits could not be read:", provider.ErrorMessage(err))
		}
	}
	ws := usage.Windows(rl)
	samples := recordSample(ctx, env, now, ws)
	for _, w := range ws {
		p := usage.PaceOf(samples[w.Key], w, now)
		wj := windowJSON{Window: w, PaceText: usage.PaceSentence(p, w, now, textfmt.Local())}
		if p.Enough {
			wj.Pace = &p
			if !p.RunsOutAt.IsZero() {
				t := p.RunsOutAt.UTC()
				wj.RunsOutAt = &t
			}
		}
		out.Windows = append(out.Windows, wj)
	}
	if !math.IsNaN(checkPct) {
		return checkWindows(env, out.Windows, checkPct, *asJSON, out)
	}
	if *asJSON {
		if err := writeJSONLine(env.Stdout, out); err != nil {
			return ExitFailure
		}
		return ExitOK
	}
	writeUsageText(env.Stdout, out, now)
	return ExitOK
}

// recordSample stores the windows read now and returns each window's
// recent samples, for its pace. A usage history that cannot be opened is
// a warning: the command still answers.
func recordSample(ctx context.Context, env Env, now time.Time, ws []usage.Window) map[string][]usage.Sample {
	st, err := openUsageStore(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "codextray usage: warning: not recording this reading:", err)
		return nil
	}
	defer st.Close()
	if err := st.Record(ctx, now, ws); err != nil {
		fmt.Fprintln(env.Stderr, "codextray usage: warning:", err)
	}
	samples, err := st.Samples(ctx, now.Add(-25*time.Hour))
	if err != nil {
		return nil
	}
	return usage.ByWindow(samples)
}

func openUsageStore(ctx context.Context, env Env) (*usage.Store, error) {
	dir, err := appdata.Dir()
	if err != nil {
		return nil, err
	}
	st, err := usage.Open(ctx, usage.DefaultPath(dir))
	if err != nil {
		return nil, err
	}
	if st.Recovered != "" {
		fmt.Fprintln(env.Stderr, "codextray:", st.Recovered)
	}
	return st, nil
}

// checkWindows is `usage --check PCT`: exit 4 when a window is at or above
// pct, naming each.
func checkWindows(env Env, ws []windowJSON, pct float64, asJSON bool, out usageJSON) int {
	var over []string
	highest := 0.0
	for _, w := range ws {
		highest = max(highest, w.UsedPercent)
		if w.UsedPercent >= pct {
			over = append(over, w.Label+": "+textfmt.PercentExact(w.UsedPercent)+" used")
		}
	}
	if asJSON {
		_ = writeJSONLine(env.Stdout, out)
	} else if len(over) > 0 {
		fmt.Fprintf(env.Stdout, "At or above %s: %s\n", textfmt.PercentExact(pct), strings.Join(over, "; "))
	} else {
		fmt.Fprintf(env.Stdout, "Every window is below %s (highest %s).\n", textfmt.PercentExact(pct), textfmt.PercentExact(highest))
	}
	if len(over) > 0 {
		return ExitUsageLimit
	}
	return ExitOK
}

func writeUsageText(w io.Writer, u usageJSON, now time.Time) {
	rl := u.RateLimits
	if rl.PlanType != "" {
		fmt.Fprintf(w, "Plan: %s\n", auth.PlanName(rl.PlanType))
	}
	if len(u.Windows) == 0 {
		fmt.Fprintln(w, "The backend reported no usage window.")
	}
	f := textfmt.Local()
	for _, win := range u.Windows {
		name := win.Label
		if win.Family == usage.FamilySpendCap && rl.SpendCap != nil && rl.SpendCap.Limit != "" {
			name += fmt.Sprintf(" (%s of %s credits)", orDash(rl.SpendCap.Used), rl.SpendCap.Limit)
		}
		line := f.UsageLine(textfmt.Usage{Name: name, UsedPercent: win.UsedPercent, ResetsAt: win.ResetsAt}, now)
		fmt.Fprintln(w, line+"\n  "+win.PaceText)
	}
	if c := rl.Credits; c != nil {
		switch {
		case c.Unlimited:
			fmt.Fprintln(w, "Credits: unlimited")
		case c.HasCredits:
			fmt.Fprintf(w, "Credits: %s\n", c.Balance)
		}
	}
	switch {
	case u.ResetCredits != nil:
		avail := u.ResetCredits.Available(now)
		fmt.Fprintf(w, "Reset credits: %d\n", len(avail))
		for _, c := range avail {
			line := "  " + c.ID
			if c.Title != "" {
				line += " “" + c.Title + "”"
			}
			if c.ExpiresAt.IsZero() {
				line += ", does not expire"
			} else {
				line += ", expires " + f.Clock(c.ExpiresAt, now)
			}
			fmt.Fprintln(w, line)
		}
		if len(avail) > 0 {
			fmt.Fprintln(w, "  Redeem one with “codextray usage redeem --yes”.")
		}
	case rl.ResetCreditsAvailable != nil:
		fmt.Fprintf(w, "Reset credits: %d\n", *rl.ResetCreditsAvailable)
	}
	if rl.LimitReached {
		fmt.Fprintln(w, "The usage limit is reached.")
	}
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// parseSince reads a duration with a day unit too ("7d", "36h", "90m").
func parseSince(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseFloat(n, 64)
		if err != nil || days <= 0 || days > 3650 {
			return 0, errors.New("give a number of days, hours or minutes, like 7d, 36h or 90m")
		}
		return time.Duration(days * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errors.New("give a number of days, hours or minutes, like 7d, 36h or 90m")
	}
	return d, nil
}

// printHistory is `usage --history`: the samples stored since then.
func printHistory(ctx context.Context, env Env, since time.Time, asJSON bool) int {
	st, err := openUsageStore(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "codextray usage: cannot open the usage history:", err)
		return ExitFailure
	}
	defer st.Close()
	samples, err := st.Samples(ctx, since)
	if err != nil {
		fmt.Fprintln(env.Stderr, "codextray usage: cannot read the usage history:", err)
		return ExitFailure
	}
	if asJSON {
		if samples == nil {
			samples = []usage.Sample{}
		}
		if err := writeJSONLine(env.Stdout, struct {
			Since   time.Time      `json:"since"`
			Samples []usage.Sample `json:"samples"`
		}{since.UTC(), samples}); err != nil {
			return ExitFailure
		}
		return ExitOK
	}
	if len(samples) == 0 {
		fmt.Fprintf(env.Stdout, "No usage samples since %s. The tray records one every few minutes, and every “codextray usage” one more.\n",
			textfmt.Local().Clock(since, time.Now()))
		return ExitOK
	}
	f, now := textfmt.Local(), time.Now()
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tWINDOW\tUSED\tRESETS")
	for _, s := range samples {
		reset := "–"
		if !s.ResetsAt.IsZero() {
			reset = f.Clock(s.ResetsAt, now)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Clock(s.At, now), s.Label, textfmt.Percent(s.UsedPercent), reset)
	}
	return exitOf(tw.Flush())
}

func exitOf(err error) int {
	if err != nil {
		return ExitFailure
	}
	return ExitOK
}

// runRedeem is `codextray usage redeem [--credit ID] --yes`.
func runRedeem(ctx context.Context, args []string, env Env) int {
	fs := newFlags("usage redeem", env)
	credit := fs.String("credit", "", "the reset credit to redeem (default: the one expiring first)")
	yes := fs.Bool("yes", false, "redeem without asking (required)")
	asJSON := fs.Bool("json", false, "print the answer as one JSON object")
	if !parseNoArgs(fs, args, env) {
		return ExitUsage
	}
	client, err := newBackend(env)
	if err != nil {
		return reportBackendError(env, "usage redeem", err)
	}
	st, err := openUsageStore(ctx, env)
	if err != nil {
		// Without the store the request id could not survive a crash.
		fmt.Fprintln(env.Stderr, "codextray usage redeem: cannot open the usage history, where the redeem's request id is kept:", err)
		return ExitFailure
	}
	defer st.Close()
	pending, hasPending, _ := st.Pending(ctx)
	if !*yes {
		rl, err := client.Usage(ctx)
		if err != nil {
			return reportBackendError(env, "usage redeem", err)
		}
		rc, err := client.ResetCredits(ctx)
		if err != nil {
			return reportBackendError(env, "usage redeem", err)
		}
		msg, _, _ := usage.RedeemPreview(usage.Windows(rl), rc, *credit, time.Now(), textfmt.Local())
		if hasPending {
			msg = "An earlier redeem (" + textfmt.Local().Clock(pending.Since, time.Now()) + ") has no answer yet; redeeming now asks for that answer first, with the same request id. " + msg
		}
		fmt.Fprintln(env.Stderr, "codextray usage redeem: "+msg+" Nothing was redeemed; add --yes to redeem.")
		return ExitUsage
	}
	res, err := usage.Redeem(ctx, client, st, *credit, usage.RedeemOptions{})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(env.Stderr, "codextray usage redeem: interrupted; redeem again to learn the answer (the same request id is sent, so no second credit is spent)")
			return ExitFailure
		}
		if !errors.Is(err, usage.ErrRedeemUnconfirmed) {
			return reportBackendError(env, "usage redeem", err)
		}
		fmt.Fprintln(env.Stderr, "codextray usage redeem:", err)
		return ExitFailure
	}
	if *asJSON {
		_ = writeJSONLine(env.Stdout, struct {
			provider.ConsumeResult
			Resumed bool   `json:"resumed,omitempty"`
			Message string `json:"message"`
		}{res.ConsumeResult, res.Resumed, res.Sentence})
	} else {
		fmt.Fprintln(env.Stdout, res.Sentence)
	}
	if res.Code == provider.ConsumeReset && !res.Resumed {
		return ExitOK
	}
	return ExitFailure
}
