package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/codextray/codextray/core/provider"
)

type modelsJSON struct {
	Default   string           `json:"default"`
	Models    []provider.Model `json:"models"`
	FetchedAt time.Time        `json:"fetched_at"`
	FromCache bool             `json:"from_cache"`
}

func runModels(ctx context.Context, args []string, env Env) int {
	fs := newFlags("models", env)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if !parseNoArgs(fs, args, env) {
		return ExitUsage
	}
	client, err := newBackend(env)
	if err != nil {
		return reportBackendError(env, "models", err)
	}
	l, err := client.Models(ctx)
	if err != nil {
		return reportBackendError(env, "models", err)
	}
	if *asJSON {
		if l.Models == nil {
			l.Models = []provider.Model{}
		}
		if err := writeJSONLine(env.Stdout, modelsJSON{l.Default, l.Models, l.FetchedAt.UTC(), l.FromCache}); err != nil {
			return ExitFailure
		}
		return ExitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  MODEL\tNAME\tREASONING (default *)")
	for _, m := range l.Models {
		mark := " "
		if m.Slug == l.Default {
			mark = "*"
		}
		var levels []string
		for _, r := range m.ReasoningLevels {
			e := r.Effort
			if e == m.DefaultReasoningLevel {
				e += "*"
			}
			levels = append(levels, e)
		}
		note := ""
		if m.Unavailable {
			note = "\t(not in your plan)"
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%s%s\n", mark, m.Slug, m.DisplayName, strings.Join(levels, " "), note)
	}
	_ = tw.Flush()
	return ExitOK
}
