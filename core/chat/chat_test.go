package chat

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/codextray/codextray/core/provider"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

const testToken = "chat-test-token"

func newBackend(t *testing.T) (*pt.Server, StreamFunc) {
	t.Helper()
	srv := pt.New(t, testToken)
	srv.ExpectAccountID(authtest.AccountID)
	c := provider.New(provider.Options{
		Credentials: provider.StaticSource{Credentials: provider.Credentials{
			Mode: provider.ModeChatGPT, Token: auth.NewSecret(testToken), AccountID: authtest.AccountID}},
		ChatGPTBaseURL: srv.ChatGPTBaseURL, OpenAIBaseURL: srv.OpenAIBaseURL,
		AppVersion: "0.1.0-test", RetryBase: time.Millisecond, MaxRetries: -1, CacheDir: "-",
	})
	return srv, ClientStream(c)
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func chunks(events ...map[string]any) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = pt.Record(e)
	}
	return out
}

func answer(text, encrypted string) pt.Reply {
	ev := []map[string]any{pt.Created("resp_1"), pt.ReasoningDelta(0, "**Plan** "), pt.ReasoningDelta(0, "think."),
		pt.ReasoningDone([]string{"**Plan** think."}, encrypted)}
	for _, w := range strings.SplitAfter(text, " ") {
		ev = append(ev, pt.TextDelta(w))
	}
	ev = append(ev, pt.MessageDone(text), pt.Completed("resp_1", pt.Usage{Input: 100, Cached: 40, Output: 30, Reasoning: 12}))
	return pt.Reply{Chunks: chunks(ev...)}
}

func TestSendStreamsTheAnswerInOrder(t *testing.T) {
	srv, stream := newBackend(t)
	srv.Enqueue(answer("Hello there, general Kenobi.", "enc-1"))
	var seen []string
	var c *Conversation
	c = New(stream, func() {
		if c.Len() == 2 {
			if m := c.Message(1); len(seen) == 0 || seen[len(seen)-1] != m.Text {
				seen = append(seen, m.Text)
			}
		}
	})
	if err := c.Send(context.Background(), "  Hi  ", nil, "gpt-5.5", "high"); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	m := c.Message(1)
	if m.State != StateDone || m.Text != "Hello there, general Kenobi." || m.Reasoning != "**Plan** think." {
		t.Fatalf("answer = %+v", m)
	}
	if !m.HasUsage || m.Usage.InputTokens != 100 || m.Usage.CachedInputTokens != 40 || m.Usage.ReasoningTokens != 12 {
		t.Errorf("usage = %+v", m.Usage)
	}
	for i := 1; i < len(seen); i++ {
		if !strings.HasPrefix(seen[i], seen[i-1]) {
			t.Fatalf("text went backwards: %q then %q", seen[i-1], seen[i])
		}
	}
	reqs := srv.RequestsTo("/codex/responses")
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	if !strings.Contains(string(reqs[0].Body), `"text":"Hi"`) || reqs[0].JSON["model"] != "gpt-5.5" {
		t.Errorf("request = %s", reqs[0].Body)
	}
	if u := c.Message(0); u.Role != RoleUser || u.Text != "Hi" {
		t.Errorf("user message = %+v", u)
	}
}

func TestSecondTurnCarriesTheFirst(t *testing.T) {
	srv, stream := newBackend(t)
	srv.Enqueue(answer("First answer.", "enc-first"), answer("Second answer.", "enc-second"))
	c := New(stream, nil)
	for _, q := range []string{"one?", "two?"} {
		if err := c.Send(context.Background(), q, nil, "gpt-5.5", ""); err != nil {
			t.Fatal(err)
		}
		c.Wait()
	}
	reqs := srv.RequestsTo("/codex/responses")
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	var body struct {
		Input []provider.Item `json:"input"`
	}
	if err := json.Unmarshal(reqs[1].Body, &body); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, it := range body.Input {
		if it.Role == "developer" { // the system prompt
			continue
		}
		kinds = append(kinds, it.Type+"/"+it.Role+":"+it.Text()+it.EncryptedContent)
	}
	want := []string{"message/user:one?", "reasoning/:enc-first", "message/assistant:First answer.", "message/user:two?"}
	if strings.Join(kinds, "|") != strings.Join(want, "|") {
		t.Errorf("second turn input = %q, want %q", kinds, want)
	}
	if len(c.Items()) != 6 {
		t.Errorf("items after two turns = %d, want 6", len(c.Items()))
	}
}

func TestStopClosesTheConnectionAndKeepsTheText(t *testing.T) {
	srv, stream := newBackend(t)
	srv.Enqueue(pt.Reply{Chunks: chunks(pt.Created("r"), pt.TextDelta("Partial ")), Hang: true})
	c := New(stream, nil)
	if err := c.Send(context.Background(), "long story", nil, "gpt-5.5", ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first delta", func() bool { return c.Message(1).Text != "" })
	if !c.Busy() {
		t.Fatal("not busy while streaming")
	}
	stopped := time.Now()
	c.Stop()
	select {
	case at := <-srv.Disconnected:
		t.Logf("server saw the client go %v after Stop", at.Sub(stopped))
	case <-time.After(5 * time.Second):
		t.Fatal("the server never saw the connection close")
	}
	c.Wait()
	m := c.Message(1)
	if m.State != StateStopped || m.Text != "Partial " || m.Problem != nil {
		t.Errorf("stopped answer = %+v", m)
	}
	if it := c.Items(); len(it) != 2 || it[1].Text() != "Partial " {
		t.Errorf("items after stop = %+v", it)
	}
}

func TestProblemsAndRetry(t *testing.T) {
	srv, stream := newBackend(t)
	resets := time.Now().Add(2 * time.Hour).Unix()
	srv.Enqueue(
		pt.Reply{Status: 429, Body: `{"error":{"type":"usage_limit_reached","message":"limit","plan_type":"plus","resets_at":` +
			jsonInt(resets) + `}}`},
		pt.Reply{Status: 503, Body: `{"detail":"overloaded"}`},
		answer("Back again.", "enc"),
	)
	c := New(stream, nil)
	if err := c.Send(context.Background(), "q", nil, "gpt-5.5", ""); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	p := c.Message(1).Problem
	if c.Message(1).State != StateFailed || p == nil || p.Action != ActionNone || p.ResetsAt.Unix() != resets ||
		!strings.Contains(p.Message, "usage limit") {
		t.Fatalf("usage limit problem = %+v", p)
	}
	if err := c.Retry(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	if p := c.Message(1).Problem; p == nil || p.Action != ActionRetry {
		t.Fatalf("server error problem = %+v", p)
	}
	if err := c.Retry(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	if m := c.Message(1); m.State != StateDone || m.Text != "Back again." || c.Len() != 2 {
		t.Fatalf("after retry: %d messages, %+v", c.Len(), m)
	}
	// The retried turns all sent the same single user message.
	for _, r := range srv.RequestsTo("/codex/responses") {
		if n := len(r.Conversation()); n != 1 {
			t.Errorf("a retry sent %d items", n)
		}
	}
}

func TestLoginNeededOffersSignIn(t *testing.T) {
	srv, stream := newBackend(t)
	srv.Enqueue(pt.Reply{Status: 401, Body: `{"detail":"expired"}`})
	c := New(stream, nil)
	_ = c.Send(context.Background(), "q", nil, "gpt-5.5", "")
	c.Wait()
	if p := c.Message(1).Problem; p == nil || p.Action != ActionSignIn {
		t.Fatalf("problem = %+v", p)
	}
}

func TestSendWhileBusyAndEmpty(t *testing.T) {
	srv, stream := newBackend(t)
	srv.Enqueue(pt.Reply{Chunks: chunks(pt.Created("r")), Hang: true})
	c := New(stream, nil)
	if err := c.Send(context.Background(), "   ", nil, "m", ""); err == nil {
		t.Error("an empty message was sent")
	}
	_ = c.Send(context.Background(), "a", nil, "gpt-5.5", "")
	if err := c.Send(context.Background(), "b", nil, "gpt-5.5", ""); err != ErrBusy {
		t.Errorf("second send = %v", err)
	}
	c.Reset()
	if c.Len() != 0 || c.Busy() || len(c.Items()) != 0 {
		t.Errorf("after reset: %d messages, busy %v", c.Len(), c.Busy())
	}
}

type fakeRecorder struct {
	users   []Message
	answers []*fakeAnswer
}

type fakeAnswer struct {
	text, reasoning strings.Builder
	state           State
	items           []provider.Item
}

func (r *fakeRecorder) User(m Message) error { r.users = append(r.users, m); return nil }
func (r *fakeRecorder) BeginAnswer(model, effort string) (AnswerRecorder, error) {
	a := &fakeAnswer{}
	r.answers = append(r.answers, a)
	return a, nil
}
func (a *fakeAnswer) AppendText(d string)      { a.text.WriteString(d) }
func (a *fakeAnswer) AppendReasoning(d string) { a.reasoning.WriteString(d) }
func (a *fakeAnswer) Finish(s State, _ string, _ provider.Usage, items []provider.Item) error {
	a.state, a.items = s, items
	return nil
}

func TestRecorderSeesEveryTurn(t *testing.T) {
	srv, stream := newBackend(t)
	srv.Enqueue(answer("Saved answer.", "enc-s"))
	rec := &fakeRecorder{}
	c := New(stream, nil)
	c.SetRecorder(rec)
	_ = c.Send(context.Background(), "save me", nil, "gpt-5.5", "low")
	c.Wait()
	if len(rec.users) != 1 || rec.users[0].Text != "save me" || len(rec.answers) != 1 {
		t.Fatalf("recorded %+v / %d answers", rec.users, len(rec.answers))
	}
	a := rec.answers[0]
	if a.text.String() != "Saved answer." || a.reasoning.String() != "**Plan** think." || a.state != StateDone || len(a.items) != 2 {
		t.Errorf("answer recorded as %q / %q / %v / %d items", a.text.String(), a.reasoning.String(), a.state, len(a.items))
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }
