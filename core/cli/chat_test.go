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

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/codextray/codextray/core/provider"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

// backendEnv writes a login into a fresh CODEX_HOME and starts a fake
// backend that expects its token; it returns the environment for codextray.
func backendEnv(t *testing.T, doc []byte) (*pt.Server, []string, string) {
	t.Helper()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "auth.json"), doc, 0o600); err != nil {
		t.Fatal(err)
	}
	cr, err := provider.CredentialsFrom((&auth.Loader{Home: home}).Load(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	srv := pt.New(t, cr.Token.Reveal())
	if cr.Mode == provider.ModeChatGPT {
		srv.ExpectAccountID(authtest.AccountID)
	}
	srv.SetModels(pt.Fixture(t, "models.json"), `"m1"`)
	// Refreshes go to a local token server too: nothing may reach OpenAI.
	ts := authtest.NewTokenServer(t, "rt_fake_refresh_token_0001")
	env := []string{"CODEX_HOME=" + home, "XDG_CACHE_HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir(),
		"CODEXTRAY_CHATGPT_BASE_URL=" + srv.ChatGPTBaseURL, "CODEXTRAY_OPENAI_BASE_URL=" + srv.OpenAIBaseURL,
		"CODEX_REFRESH_TOKEN_URL_OVERRIDE=" + ts.TokenURL()}
	return srv, env, cr.Token.Reveal()
}

func chatgptLogin() []byte { return authtest.Login{Expires: time.Now().Add(time.Hour)}.Document() }

func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		lines = append(lines, m)
	}
	return lines
}

func TestChatJSONEndToEnd(t *testing.T) {
	srv, env, token := backendEnv(t, chatgptLogin())
	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("Hi there.", pt.Usage{Input: 50, Cached: 10, Output: 20, Reasoning: 5})},
		Header: map[string]string{"x-codex-primary-used-percent": "25", "x-codex-primary-window-minutes": "300"}})
	dir := t.TempDir()
	img := filepath.Join(dir, "pic.png")
	if err := os.WriteFile(img, append([]byte("\x89PNG\r\n\x1a\n"), 1, 2, 3), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCodextray(t, env, "chat", "--json", "--image", img, "Say hi", "--effort", "high")
	if code != 0 {
		t.Fatalf("exit %d; stderr %s", code, errOut)
	}
	lines := jsonLines(t, out)
	var text, reasoning string
	for _, l := range lines[:len(lines)-1] {
		switch l["type"] {
		case "text":
			text += l["delta"].(string)
		case "reasoning":
			reasoning += l["delta"].(string)
		default:
			t.Errorf("unexpected line %v", l)
		}
	}
	done := lines[len(lines)-1]
	if text != "Hi there." || reasoning != "Thinking about it." || done["type"] != "done" {
		t.Fatalf("text %q reasoning %q last %v", text, reasoning, done)
	}
	u := done["usage"].(map[string]any)
	if u["input_tokens"] != 50.0 || u["cached_input_tokens"] != 10.0 || u["reasoning_output_tokens"] != 5.0 {
		t.Errorf("usage %v", u)
	}
	if p := done["rate_limits"].(map[string]any)["primary"].(map[string]any); p["used_percent"] != 25.0 {
		t.Errorf("rate limits %v", done["rate_limits"])
	}
	req := srv.RequestsTo("/codex/responses")[0]
	if req.JSON["model"] != "gpt-5.6-sol" || req.JSON["reasoning"].(map[string]any)["effort"] != "high" {
		t.Errorf("model %v reasoning %v", req.JSON["model"], req.JSON["reasoning"])
	}
	content := req.Conversation()[0].(map[string]any)["content"].([]any)
	if len(content) != 2 || !strings.HasPrefix(content[1].(map[string]any)["image_url"].(string), "data:image/png;base64,") {
		t.Errorf("content %v", content)
	}
	if strings.Contains(out+errOut, token) {
		t.Fatal("the token was printed")
	}
}

func TestChatPlainStreamsText(t *testing.T) {
	srv, env, _ := backendEnv(t, chatgptLogin())
	srv.Enqueue(pt.Reply{Chunks: []string{string(pt.Fixture(t, "cli_responses_fixture.sse"))}})
	cmd := codextrayCmd(t, env, "chat", "--model", "gpt-5.5", "-")
	cmd.Stdin = strings.NewReader("hello from stdin")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v; stderr %s", err, errb.String())
	}
	if out.String() != "fixture hello\n" || !strings.Contains(errb.String(), "gpt-5.5 · ") {
		t.Fatalf("stdout %q stderr %q", out.String(), errb.String())
	}
	in := srv.RequestsTo("/codex/responses")[0].Conversation()[0].(map[string]any)["content"].([]any)[0].(map[string]any)
	if in["text"] != "hello from stdin" {
		t.Errorf("prompt %v", in)
	}
}

func TestChatExitCodes(t *testing.T) {
	t.Run("usage limit", func(t *testing.T) {
		srv, env, _ := backendEnv(t, chatgptLogin())
		limit := pt.Reply{Status: 429, Body: `{"error":{"type":"usage_limit_reached","message":"limit","plan_type":"plus","resets_at":1900000000}}`,
			Header: map[string]string{"x-codex-primary-used-percent": "100"}}
		srv.Enqueue(limit, limit)
		out, _, code := runCodextray(t, env, "chat", "--json", "--model", "gpt-5.5", "hi")
		lines := jsonLines(t, out)
		if code != ExitUsageLimit || len(lines) != 1 || lines[0]["type"] != "error" || lines[0]["code"] != "usage_limit_reached" ||
			!strings.Contains(lines[0]["message"].(string), "usage limit") {
			t.Fatalf("exit %d, out %s", code, out)
		}
		_, errOut, code := runCodextray(t, env, "chat", "--model", "gpt-5.5", "hi")
		if code != ExitUsageLimit || !strings.Contains(errOut, "You've hit your usage limit") {
			t.Fatalf("exit %d, stderr %s", code, errOut)
		}
	})
	t.Run("rejected login", func(t *testing.T) {
		srv, env, _ := backendEnv(t, chatgptLogin())
		srv.SetToken("not-this-login")
		_, errOut, code := runCodextray(t, env, "chat", "--model", "gpt-5.5", "hi")
		if code != ExitLoginNeeded || !strings.Contains(errOut, "codex login") {
			t.Fatalf("exit %d, stderr %s", code, errOut)
		}
	})
	t.Run("logged out", func(t *testing.T) {
		_, errOut, code := runCodextray(t, []string{"CODEX_HOME=" + t.TempDir(), "XDG_CACHE_HOME=" + t.TempDir(),
			"CODEXTRAY_CHATGPT_BASE_URL=http://127.0.0.1:1"}, "chat", "hi")
		if code != ExitLoginNeeded || !strings.Contains(errOut, "codex login") {
			t.Fatalf("exit %d, stderr %s", code, errOut)
		}
	})
	t.Run("failed in stream", func(t *testing.T) {
		srv, env, _ := backendEnv(t, chatgptLogin())
		srv.Enqueue(pt.Reply{Chunks: []string{pt.SSE(pt.Created("r"), pt.Failed("context_length_exceeded", "too long", nil))}})
		out, _, code := runCodextray(t, env, "chat", "--json", "--model", "gpt-5.5", "hi")
		if code != ExitFailure || !strings.Contains(out, `"code":"context_length_exceeded"`) {
			t.Fatalf("exit %d, out %s", code, out)
		}
	})
	t.Run("bad usage", func(t *testing.T) {
		_, env, _ := backendEnv(t, chatgptLogin())
		dir := t.TempDir()
		txt := filepath.Join(dir, "notes.txt")
		if err := os.WriteFile(txt, []byte("plain text"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"chat"}, {"chat", "a", "b"}, {"chat", "--image", txt, "hi"}, {"chat", "--model", "gpt-5.5", "--effort", "galactic", "hi"}} {
			_, errOut, code := runCodextray(t, env, args...)
			if code != ExitUsage {
				t.Errorf("%v: exit %d, stderr %s", args, code, errOut)
			}
		}
	})
}

func TestChatAPIKeyLogin(t *testing.T) {
	srv, env, _ := backendEnv(t, authtest.APIKeyDocument("sk-proj-test-0123456789abcdef"))
	srv.SetAPIModels([]byte(`{"data":[{"id":"gpt-5.5"},{"id":"gpt-4o"}]}`))
	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("keyed", pt.Usage{})}})
	out, errOut, code := runCodextray(t, env, "chat", "hi")
	if code != 0 || out != "keyed\n" {
		t.Fatalf("exit %d out %q stderr %s", code, out, errOut)
	}
	if len(srv.RequestsTo("/v1/responses")) != 1 {
		t.Fatal("no request to /v1/responses")
	}
	out, _, code = runCodextray(t, env, "models", "--json")
	if code != 0 || !strings.Contains(out, `"default":"gpt-5.5"`) {
		t.Fatalf("models: exit %d %s", code, out)
	}
}

func TestModelsCommand(t *testing.T) {
	_, env, _ := backendEnv(t, chatgptLogin())
	out, errOut, code := runCodextray(t, env, "models", "--json")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	var m struct {
		Default string
		Models  []provider.Model
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.Default != "gpt-5.6-sol" || len(m.Models) != 5 {
		t.Fatalf("%v %s", err, out)
	}
	out, _, code = runCodextray(t, env, "models")
	if code != 0 || !strings.Contains(out, "* gpt-5.6-sol") || !strings.Contains(out, "medium*") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	_, _, code = runCodextray(t, []string{"CODEX_HOME=" + t.TempDir()}, "models")
	if code != ExitLoginNeeded {
		t.Fatalf("logged out: exit %d", code)
	}
}

func TestUsageCommand(t *testing.T) {
	srv, env, _ := backendEnv(t, chatgptLogin())
	srv.SetUsage([]byte(`{"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,
		"primary_window":{"used_percent":42,"limit_window_seconds":18000,"reset_after_seconds":3600,"reset_at":1900000000},
		"secondary_window":{"used_percent":7,"limit_window_seconds":604800,"reset_after_seconds":86400,"reset_at":1900500000}}}`), nil)
	out, errOut, code := runCodextray(t, env, "usage")
	if code != 0 || !strings.Contains(out, "Plan: Plus") || !strings.Contains(out, "5 h: 42 % used · resets") ||
		!strings.Contains(out, "Week: 7 % used") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = runCodextray(t, env, "usage", "--json")
	var rl provider.RateLimits
	if code != 0 || json.Unmarshal([]byte(out), &rl) != nil || rl.Primary.UsedPercent != 42 || rl.Secondary.WindowMinutes != 10080 {
		t.Fatalf("exit %d %s", code, out)
	}
}
