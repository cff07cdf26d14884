package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/codextray/codextray/core/history"
)

// runHistory: codextray history list|show|search|export.
func runHistory(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "codextray history: give list, show ID, search QUERY or export ID DIR")
		return ExitUsage
	}
	sub, rest := args[0], args[1:]
	fs := newFlags("history "+sub, env)
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 50, "how many conversations or hits to list")
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return ExitUsage
	}
	want := map[string]int{"list": 0, "show": 1, "search": -1, "export": 2}
	n, ok := want[sub]
	switch {
	case !ok:
		fmt.Fprintf(env.Stderr, "codextray history: unknown command %q; give list, show, search or export\n", sub)
		return ExitUsage
	case n >= 0 && len(pos) != n, n < 0 && len(pos) == 0:
		fmt.Fprintf(env.Stderr, "codextray history %s: wrong arguments; usage: codextray history list | show ID | search QUERY | export ID DIR\n", sub)
		return ExitUsage
	}
	var id int64
	if sub == "show" || sub == "export" {
		if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil || id <= 0 {
			fmt.Fprintf(env.Stderr, "codextray history %s: %q is not a conversation id\n", sub, pos[0])
			return ExitUsage
		}
	}
	st, err := openHistory(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "codextray history: cannot open the history:", err)
		return ExitFailure
	}
	defer st.Close()
	fail := func(err error) int {
		if errors.Is(err, history.ErrNotFound) {
			fmt.Fprintf(env.Stderr, "codextray history: there is no conversation %d\n", id)
			return ExitFailure
		}
		fmt.Fprintln(env.Stderr, "codextray history:", err)
		return ExitFailure
	}
	switch sub {
	case "list":
		convs, err := st.Conversations(ctx, *limit, 0)
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			if convs == nil {
				convs = []history.Conversation{}
			}
			return jsonOut(env, convs)
		}
		if len(convs) == 0 {
			fmt.Fprintln(env.Stdout, "No conversations yet. Start one with `codextray chat PROMPT`.")
			return ExitOK
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUPDATED\tMESSAGES\tTITLE")
		for _, c := range convs {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\n", c.ID, c.UpdatedAt.Local().Format("2006-01-02 15:04"), c.Messages, c.Title)
		}
		tw.Flush()
	case "show":
		c, msgs, err := st.Conversation(ctx, id)
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			return jsonOut(env, struct {
				history.Conversation
				Messages []history.Message `json:"messages"`
			}{c, msgs})
		}
		fmt.Fprintf(env.Stdout, "# %s\n", c.Title)
		for _, m := range history.Visible(msgs) {
			who := m.Speaker()
			fmt.Fprintf(env.Stdout, "\n## %s · %s\n\n", who, m.CreatedAt.Local().Format(time.DateTime))
			for _, a := range m.Attachments {
				fmt.Fprintf(env.Stdout, "[image %s, %s]\n", orName(a.Name), a.MIME)
			}
			fmt.Fprintln(env.Stdout, m.Text)
			switch m.State {
			case history.StateInterrupted:
				fmt.Fprintf(env.Stdout, "\n(interrupted; continue with `codextray chat --continue %d …`)\n", c.ID)
			case history.StateStreaming:
				fmt.Fprintln(env.Stdout, "\n(still streaming)")
			case history.StateFailed:
				fmt.Fprintf(env.Stdout, "\n(failed: %s)\n", m.Error)
			}
		}
	case "search":
		hits, err := st.Search(ctx, strings.Join(pos, " "), *limit)
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			if hits == nil {
				hits = []history.Hit{}
			}
			return jsonOut(env, hits)
		}
		if len(hits) == 0 {
			fmt.Fprintln(env.Stdout, "No messages match.")
			return ExitOK
		}
		for _, h := range hits {
			fmt.Fprintf(env.Stdout, "%d  %s  (%s)\n    %s\n", h.ConversationID, h.Title, h.Role, h.Snippet)
		}
	case "export":
		path, err := st.Export(ctx, id, pos[1])
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(env.Stdout, path)
	}
	return ExitOK
}

func orName(s string) string {
	if s == "" {
		return "(pasted)"
	}
	return s
}

func jsonOut(env Env, v any) int {
	if err := writeJSONLine(env.Stdout, v); err != nil {
		fmt.Fprintln(env.Stderr, "codextray:", err)
		return ExitFailure
	}
	return ExitOK
}
