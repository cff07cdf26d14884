package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/history"
	"github.com/codextray/codextray/core/provider"
)

// fallbackModel is used when the model list cannot be fetched.
const fallbackModel = "gpt-5.5"

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// parseInterspersed parses flags that may come before or after the
// positional arguments, and returns the positional ones.
func parseInterspersed(fs interface {
	Parse([]string) error
	Args() []string
}, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// chatEvent is one line of `chat --json`.
type chatEvent struct {
	Type       string               `json:"type"`
	Delta      string               `json:"delta,omitempty"`
	Index      *int                 `json:"index,omitempty"`
	Model      string               `json:"model,omitempty"`
	Usage      *provider.Usage      `json:"usage,omitempty"`
	RateLimits *provider.RateLimits `json:"rate_limits,omitempty"`
	Code       string               `json:"code,omitempty"`
	Message    string               `json:"message,omitempty"`
	// Conversation is the history id of the conversation, on "done".
	Conversation int64 `json:"conversation,omitempty"`
}

func runChat(ctx context.Context, args []string, env Env) int {
	fs := newFlags("chat", env)
	model := fs.String("model", "", "model slug (default: the first listed by `codextray models`)")
	effort := fs.String("effort", "", "reasoning effort, e.g. low, medium, high (default: the model's)")
	var images stringList
	fs.Var(&images, "image", "attach an image (PNG, JPEG, GIF or WebP); repeatable")
	asJSON := fs.Bool("json", false, "print one JSON event per line")
	noHistory := fs.Bool("no-history", false, "do not record the conversation in the history")
	continueID := fs.Int64("continue", 0, "add this turn to conversation `ID` of the history")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.Stderr, "codextray chat: give exactly one PROMPT, or - to read it from standard input")
		return ExitUsage
	}
	prompt := pos[0]
	if prompt == "-" {
		b, err := io.ReadAll(io.LimitReader(env.Stdin, maxStdinPrompt+1))
		if err != nil {
			fmt.Fprintln(env.Stderr, "codextray chat: cannot read the prompt:", err)
			return ExitFailure
		}
		if len(b) > maxStdinPrompt {
			fmt.Fprintln(env.Stderr, "codextray chat: the prompt on standard input is longer than 16 MiB; shorten it")
			return ExitUsage
		}
		prompt = string(b)
	}
	if strings.TrimSpace(prompt) == "" {
		fmt.Fprintln(env.Stderr, "codextray chat: the prompt is empty")
		return ExitUsage
	}
	if *noHistory && *continueID != 0 {
		fmt.Fprintln(env.Stderr, "codextray chat: --continue needs the history; drop --no-history")
		return ExitUsage
	}
	var imgs []provider.Image
	var attachments []history.Attachment
	for _, p := range images {
		img, err := provider.LoadImage(p)
		if err != nil {
			fmt.Fprintln(env.Stderr, "codextray chat:", err)
			return ExitUsage
		}
		imgs = append(imgs, img)
		attachments = append(attachments, history.Attachment{MIME: img.MIME, Data: img.Data, Name: filepath.Base(p)})
	}
	var rec *chatRecord
	if !*noHistory {
		var code int
		if rec, code = startRecord(ctx, env, *continueID); code != ExitOK {
			return code
		}
		defer rec.close()
	}

	out := chatOutput{env: env, json: *asJSON}
	client, err := newBackend(env)
	if err != nil {
		return out.fail(err)
	}
	// The model list gives the default model and its default effort.
	list, lerr := client.Models(ctx)
	if lerr != nil && backendExitCode(lerr) == ExitLoginNeeded {
		return out.fail(lerr)
	}
	if *model == "" {
		*model = list.Default
		if *model == "" {
			*model = fallbackModel
			if !*asJSON {
				fmt.Fprintf(env.Stderr, "codextray chat: cannot list the models (%s); using %s\n", provider.ErrorMessage(lerr), fallbackModel)
			}
		}
	}
	if m, ok := list.Find(*model); ok {
		if *effort == "" {
			*effort = m.DefaultReasoningLevel
		} else if len(m.ReasoningLevels) > 0 && !hasEffort(m, *effort) {
			fmt.Fprintf(env.Stderr, "codextray chat: %s does not support --effort %s; it supports %s\n", *model, *effort, efforts(m))
			return ExitUsage
		}
		if len(imgs) > 0 && !m.AcceptsImages() {
			fmt.Fprintf(env.Stderr, "codextray chat: %s does not accept images\n", *model)
			return ExitUsage
		}
	}

	req := provider.TurnRequest{Model: *model, Effort: *effort, Input: []provider.Item{provider.UserMessage(prompt, imgs...)}}
	if rec != nil {
		rec.begin(ctx, env, &req, prompt, attachments)
	}
	var turn provider.Turn
	s, err := client.Stream(ctx, req)
	if err != nil {
		rec.finish(ctx, env, &turn, err)
		return out.fail(err)
	}
	defer s.Close()
	for s.Next() {
		ev := s.Event()
		text := turn.Add(ev)
		rec.event(ev, text)
		switch e := ev.(type) {
		case provider.ReasoningSummaryDelta:
			if out.json {
				i := e.SummaryIndex
				out.line(chatEvent{Type: "reasoning", Delta: e.Delta, Index: &i})
			}
		case provider.Completed:
			rl := s.RateLimits()
			if out.json {
				out.line(chatEvent{Type: "done", Model: *model, Usage: &e.Usage, RateLimits: &rl, Conversation: rec.id()})
			}
		}
		if text != "" {
			if out.json {
				out.line(chatEvent{Type: "text", Delta: text})
			} else {
				fmt.Fprint(env.Stdout, terminalText(text))
			}
		}
	}
	rec.finish(ctx, env, &turn, s.Err())
	if err := s.Err(); err != nil {
		if !out.json && turn.Text.Len() > 0 {
			fmt.Fprintln(env.Stdout)
		}
		return out.fail(err)
	}
	if !out.json {
		if t := turn.Text.String(); !strings.HasSuffix(t, "\n") {
			fmt.Fprintln(env.Stdout)
		}
		u := turn.Usage
		fmt.Fprintf(env.Stderr, "%s · %d tokens in (%d cached) · %d out (%d reasoning)",
			*model, u.InputTokens, u.CachedInputTokens, u.OutputTokens, u.ReasoningTokens)
		if id := rec.id(); id != 0 {
			fmt.Fprintf(env.Stderr, " · conversation %d (continue with --continue %d)", id, id)
		}
		fmt.Fprintln(env.Stderr)
	}
	return ExitOK
}

func hasEffort(m provider.Model, effort string) bool {
	for _, l := range m.ReasoningLevels {
		if l.Effort == effort {
			return true
		}
	}
	return false
}

func efforts(m provider.Model) string {
	var s []string
	for _, l := range m.ReasoningLevels {
		s = append(s, l.Effort)
	}
	return strings.Join(s, ", ")
}

type chatOutput struct {
	env  Env
	json bool
}

func (o chatOutput) line(ev chatEvent) {
	_ = writeJSONLine(o.env.Stdout, ev) // a closed stdout ends the command anyway
}

func (o chatOutput) fail(err error) int {
	if o.json {
		o.line(chatEvent{Type: "error", Code: provider.ErrorCode(err), Message: provider.ErrorMessage(err)})
		if code := backendExitCode(err); code != ExitFailure {
			return code
		}
		return ExitFailure
	}
	return reportBackendError(o.env, "chat", err)
}

// newBackend builds the provider client for the chat, models and usage
// commands (see login.Service.Backend).
func newBackend(env Env) (*provider.Client, error) {
	svc, err := newServices(env)
	if err != nil {
		return nil, err
	}
	return svc.Backend(ReadVersion(env.FyneAppTOML).Version)
}

// backendExitCode maps an error of the backend to the exit codes of
// docs/DESIGN.md: 3 login needed, 4 usage limit, else 1.
func backendExitCode(err error) int {
	switch {
	case errors.Is(err, auth.ErrLoginNeeded):
		return ExitLoginNeeded
	case provider.IsUsageLimit(err):
		return ExitUsageLimit
	}
	return ExitFailure
}

// reportBackendError prints the user's sentence and returns the exit code.
func reportBackendError(env Env, cmd string, err error) int {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(env.Stderr, "codextray %s: interrupted\n", cmd)
		return ExitFailure
	}
	fmt.Fprintf(env.Stderr, "codextray %s: %s\n", cmd, terminalText(provider.ErrorMessage(err)))
	return backendExitCode(err)
}

// maxStdinPrompt bounds `chat -`: far beyond any context window, and a
// longer input is refused rather than cut.
const maxStdinPrompt = 16 << 20

// terminalText is text from the backend made safe to print: control
// characters (C0 but newline and tab, DEL, C1) are dropped, so that an
// answer cannot move the cursor, retitle the window or rewrite what was
// printed before. JSON output escapes them instead.
func terminalText(s string) string {
	// A byte that is not UTF-8 (RuneError) could be an 8-bit C1 control.
	clean := func(r rune) bool {
		return (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) || r == utf8.RuneError
	}
	if strings.IndexFunc(s, clean) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if clean(r) {
			return -1
		}
		return r
	}, s)
}
