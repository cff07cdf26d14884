package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/history"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// historyPath is where codextray keeps the history for this test's env.
func historyPath(env []string) string {
	return filepath.Join(envValue(env, "XDG_CONFIG_HOME"), "fyne", appdata.AppID, "history.db")
}

type shownConversation struct {
	history.Conversation
	Messages []history.Message `json:"messages"`
}

func showConversation(t *testing.T, env []string, id int64) shownConversation {
	t.Helper()
	out, errOut, code := runCodextray(t, env, "history", "show", itoa(id), "--json")
	if code != 0 {
		t.Fatalf("history show: exit %d, %s", code, errOut)
	}
	var c shownConversation
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("history show --json: %v: %s", err, out)
	}
	return c
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestChatKilledMidStreamKeepsThePartialAnswer: kill -9 while `codextray
// chat` streams from a backend that stalls half-way; the conversation holds
// the partial answer, marked interrupted.
func TestChatKilledMidStreamKeepsThePartialAnswer(t *testing.T) {
	srv, env, _ := backendEnv(t, chatgptLogin())
	srv.Enqueue(pt.Reply{Chunks: []string{pt.SSE(pt.Created("r1"), pt.ReasoningDelta(0, "Weighing options."), pt.TextDelta("The first half "), pt.TextDelta("of the answer"))}, Hang: true})
	cmd := codextrayCmd(t, env, "chat", "--json", "--model", "gpt-5.5", "a question about aardvarks")
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// Wait until the command has streamed the second delta…
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "of the answer") {
			break
		}
	}
	// …and the history holds it (saved at least once a second).
	st, err := history.Open(context.Background(), historyPath(env))
	must(t, err)
	defer st.Close()
	var convID int64
	deadline := time.Now().Add(5 * time.Second)
	for {
		if convs, _ := st.Conversations(context.Background(), 1, 0); len(convs) == 1 {
			convID = convs[0].ID
			if _, msgs, _ := st.Conversation(context.Background(), convID); len(msgs) == 2 && msgs[1].Text == "The first half of the answer" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the streamed text never reached the history")
		}
		time.Sleep(20 * time.Millisecond) // polling the database of another process
	}
	must(t, cmd.Process.Signal(os.Kill))
	_ = cmd.Wait()

	c := showConversation(t, env, convID)
	if len(c.Messages) != 2 {
		t.Fatalf("messages: %+v", c.Messages)
	}
	user, answer := c.Messages[0], c.Messages[1]
	if user.Role != "user" || user.Text != "a question about aardvarks" || c.Title != "a question about aardvarks" {
		t.Errorf("user message %+v, title %q", user, c.Title)
	}
	if answer.State != history.StateInterrupted || answer.Text != "The first half of the answer" || answer.Reasoning != "Weighing options." {
		t.Errorf("answer after kill -9: state %s, text %q, reasoning %q", answer.State, answer.Text, answer.Reasoning)
	}
	out, _, _ := runCodextray(t, env, "history", "show", itoa(convID))
	if !strings.Contains(out, "(interrupted; continue with") {
		t.Errorf("plain show does not say interrupted:\n%s", out)
	}
}

func TestChatContinueAndHistoryCommands(t *testing.T) {
	srv, env, _ := backendEnv(t, chatgptLogin())
	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("Pelicans have throat pouches.", pt.Usage{Input: 10, Output: 5})}})
	out, errOut, code := runCodextray(t, env, "chat", "--json", "--model", "gpt-5.5", "Tell me about pelicans")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var id int64
	for _, l := range jsonLines(t, out) {
		if l["type"] == "done" {
			id = int64(l["conversation"].(float64))
		}
	}
	if id == 0 {
		t.Fatalf("no conversation id on done: %s", out)
	}
	first := srv.RequestsTo("/codex/responses")[0].JSON

	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("About one metre.", pt.Usage{Input: 20, Output: 3})}})
	if _, errOut, code := runCodextray(t, env, "chat", "--continue", itoa(id), "--model", "gpt-5.5", "How big?"); code != 0 {
		t.Fatalf("continue: exit %d: %s", code, errOut)
	}
	second := srv.RequestsTo("/codex/responses")[1].JSON
	input := srv.RequestsTo("/codex/responses")[1].Conversation()
	var types []string
	for _, it := range input {
		m := it.(map[string]any)
		types = append(types, m["type"].(string)+":"+str(m["role"]))
	}
	if got := strings.Join(types, " "); got != "message:user reasoning: message:assistant message:user" {
		t.Errorf("second turn input = %s", got)
	}
	if enc := input[1].(map[string]any)["encrypted_content"]; enc != "enc-reasoning-1" {
		t.Errorf("reasoning item not echoed with its encrypted content: %v", enc)
	}
	if first["prompt_cache_key"] != second["prompt_cache_key"] || first["prompt_cache_key"] == "" {
		t.Errorf("prompt_cache_key changed between turns: %v / %v", first["prompt_cache_key"], second["prompt_cache_key"])
	}

	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("not kept", pt.Usage{})}})
	if _, errOut, code := runCodextray(t, env, "chat", "--no-history", "--model", "gpt-5.5", "unrecorded"); code != 0 {
		t.Fatalf("--no-history: exit %d: %s", code, errOut)
	}
	out, _, code = runCodextray(t, env, "history", "list", "--json")
	var list []history.Conversation
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].Messages != 4 || list[0].Title != "Tell me about pelicans" {
		t.Fatalf("history list: %d %s", code, out)
	}
	for q, role := range map[string]string{"tell": "user", "metre": "assistant"} {
		out, _, _ = runCodextray(t, env, "history", "search", q, "--json")
		var hits []history.Hit
		if json.Unmarshal([]byte(out), &hits) != nil || len(hits) == 0 || hits[0].Role != role || hits[0].ConversationID != id {
			t.Errorf("search %q: %s", q, out)
		}
	}
	dir := t.TempDir()
	out, _, code = runCodextray(t, env, "history", "export", itoa(id), dir)
	md, _ := os.ReadFile(strings.TrimSpace(out))
	if code != 0 || !strings.Contains(string(md), "About one metre.") || !strings.Contains(string(md), "## You") {
		t.Errorf("export: %d %s\n%s", code, out, md)
	}
	if _, errOut, code := runCodextray(t, env, "history", "show", "999"); code != ExitFailure || !strings.Contains(errOut, "no conversation 999") {
		t.Errorf("show of a missing conversation: %d %s", code, errOut)
	}
	if _, _, code := runCodextray(t, env, "chat", "--continue", "999", "--model", "gpt-5.5", "x"); code != ExitUsage {
		t.Errorf("--continue of a missing conversation: exit %d", code)
	}
	if _, _, code := runCodextray(t, env, "history", "frobnicate"); code != ExitUsage {
		t.Errorf("bad subcommand: exit %d", code)
	}
}

func TestCorruptHistoryIsMovedAsideAndChatStillWorks(t *testing.T) {
	srv, env, _ := backendEnv(t, chatgptLogin())
	path := historyPath(env)
	must(t, os.MkdirAll(filepath.Dir(path), 0o700))
	must(t, os.WriteFile(path, []byte(strings.Repeat("garbage ", 1000)), 0o600))
	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("ok", pt.Usage{})}})
	_, errOut, code := runCodextray(t, env, "chat", "--model", "gpt-5.5", "hello")
	if code != 0 || !strings.Contains(errOut, "moved to") {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) != 1 {
		t.Errorf("corrupt file not kept aside: %v", m)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
