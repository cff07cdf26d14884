package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/codextray/codextray/core/provider"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

func catalog0171(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "provider", "providertest", "testdata", "codex-0.171.0-models.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const usageBody = `{"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,
	"primary_window":{"used_percent":12,"limit_window_seconds":604800,"reset_at":1900500000},
	"secondary_window":{"used_percent":3,"limit_window_seconds":2592000,"reset_at":1902000000}},
	"additional_rate_limits":[{"limit_name":"Codex Spark","metered_feature":"codex_bengalfox",
	"rate_limit":{"primary_window":{"used_percent":40,"limit_window_seconds":18000,"reset_at":1900001000}}}]}`

// chat --json, models and usage on the Lite default model (gpt-6.2-sol of
// the 0.171.0 catalog), through /wham/accounts/check: without a routing
// override on the configured backend, and with one on another workspace
// origin, which then gets every request and the override header.
func TestChatModelsUsageThroughWorkspaceRouting(t *testing.T) {
	for _, override := range []string{"", "us"} {
		t.Run("override="+override, func(t *testing.T) {
			front, env, _ := backendEnv(t, chatgptLogin())
			served := front
			if override != "" {
				served = pt.New(t, "")
				served.ExpectAccountID(authtest.AccountID)
				front.SetAccountsCheck(pt.AccountsCheck(pt.Account{ID: authtest.AccountID, RoutingOverride: override, Origin: served.URL}))
			}
			served.SetModels(catalog0171(t), `"c171"`)
			served.SetUsage([]byte(usageBody), nil)
			served.SetFallback(pt.Reply{Chunks: []string{pt.Stream("Routed answer.", pt.Usage{Input: 3, Output: 2})}})

			out, errs, code := runCodextray(t, env, "models", "--json")
			var ml struct {
				Default string           `json:"default"`
				Models  []provider.Model `json:"models"`
			}
			if code != 0 || json.Unmarshal([]byte(out), &ml) != nil || ml.Default != "gpt-6.2-sol" {
				t.Fatalf("models --json: exit %d default %q\n%s%s", code, ml.Default, out, errs)
			}
			out, errs, code = runCodextray(t, env, "chat", "--json", "Hello")
			if code != 0 || !strings.Contains(out, `"delta":"Routed "`) || !strings.Contains(out, `"type":"done","model":"gpt-6.2-sol"`) {
				t.Fatalf("chat --json: exit %d\n%s%s", code, out, errs)
			}
			out, errs, code = runCodextray(t, env, "usage")
			if code != 0 || !strings.Contains(out, "Week: 12 % used") || !strings.Contains(out, "Month: 3 % used") ||
				!strings.Contains(out, "Codex Spark · 5 h: 40 % used") {
				t.Fatalf("usage: exit %d\n%s%s", code, out, errs)
			}

			turns := served.RequestsTo("/codex/responses")
			if len(turns) != 1 {
				t.Fatalf("%d turn requests on the workspace backend", len(turns))
			}
			turn := turns[0]
			if turn.JSON["model"] != "gpt-6.2-sol" || turn.Header.Get(provider.HeaderResponsesLite) != "true" {
				t.Errorf("turn: model %v, Lite header %q", turn.JSON["model"], turn.Header.Get(provider.HeaderResponsesLite))
			}
			for _, r := range append(append(turns, served.RequestsTo("/codex/models")...), served.RequestsTo("/wham/usage")...) {
				if got := r.Header.Get(provider.HeaderRoutingOverride); got != override {
					t.Errorf("%s: %s = %q, want %q", r.Path, provider.HeaderRoutingOverride, got, override)
				}
			}
			if n := len(front.RequestsTo("/wham/accounts/check")); n != 3 {
				t.Errorf("%d routing discoveries for 3 commands, want one each", n)
			}
			if override != "" && len(front.RequestsTo("/codex/responses"))+len(front.RequestsTo("/codex/models"))+len(front.RequestsTo("/wham/usage")) != 0 {
				t.Errorf("the configured backend got requests that belong to the workspace origin")
			}
		})
	}
}

// An account the discovery does not list, or a workspace origin that is not
// HTTPS, is a clear error, never a fallback to the configured backend.
func TestWorkspaceRoutingErrors(t *testing.T) {
	cases := map[string]struct {
		body []byte
		says string
	}{
		"account not listed": {pt.AccountsCheck(pt.Account{ID: "acct-someone-else", Origin: "https://chatgpt.com"}), "does not list the signed-in workspace"},
		"plain http origin":  {pt.AccountsCheck(pt.Account{ID: authtest.AccountID, Origin: "http://chatgpt.example.com"}), "only sends chats over HTTPS"},
		"no origin":          {pt.AccountsCheck(pt.Account{ID: authtest.AccountID, RoutingOverride: "NO_CONSTRAINT"}), "did not say which server"},
		"unknown override":   {pt.AccountsCheck(pt.Account{ID: authtest.AccountID, RoutingOverride: "eu_xx", Origin: "https://chatgpt.com"}), "routing rule Codex Tray does not know"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			srv, env, _ := backendEnv(t, chatgptLogin())
			srv.SetAccountsCheck(c.body)
			srv.SetFallback(pt.Reply{Chunks: []string{pt.Stream("must not be asked", pt.Usage{})}})
			out, errs, code := runCodextray(t, env, "chat", "--json", "--model", "gpt-5.5", "Hello")
			lines := jsonLines(t, out)
			last := lines[len(lines)-1]
			if code != ExitFailure || last["type"] != "error" || last["code"] != "workspace_routing" || !strings.Contains(last["message"].(string), c.says) {
				t.Errorf("chat --json: exit %d, last line %v (stderr %s)", code, last, errs)
			}
			if n := len(srv.RequestsTo("/codex/responses")); n != 0 {
				t.Errorf("%d turns sent despite the routing error", n)
			}
			st, _, _ := runCodextray(t, env, "status", "--json")
			var s struct{ Message, Error, Routing string }
			_ = json.Unmarshal([]byte(st), &s)
			if !strings.Contains(s.Error, c.says) {
				t.Errorf("status --json does not report the routing error: %s", st)
			}
		})
	}
}

// models --json marks the models the login's plan may not use; the default
// is one it may.
func TestModelsUnavailableForThePlan(t *testing.T) {
	srv, env, _ := backendEnv(t, authtest.Login{Expires: tomorrow(), Plan: "free"}.Document())
	srv.SetModels(catalog0171(t), "")
	out, errs, code := runCodextray(t, env, "models", "--json")
	var ml struct {
		Default string           `json:"default"`
		Models  []provider.Model `json:"models"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &ml) != nil {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	unavailable := map[string]bool{}
	for _, m := range ml.Models {
		unavailable[m.Slug] = m.Unavailable
	}
	if !unavailable["gpt-6.2-sol"] || !unavailable["gpt-6.2-astra"] || unavailable["gpt-6.1-sol"] || ml.Default != "gpt-6.1-terra" {
		t.Errorf("free plan: unavailable %v, default %q; want gpt-6.2-* unavailable and the first available default", unavailable, ml.Default)
	}
	out, _, _ = runCodextray(t, env, "models")
	if !strings.Contains(out, "not in your plan") {
		t.Errorf("models (text) does not say which models the plan lacks:\n%s", out)
	}
}

func tomorrow() time.Time { return time.Now().Add(24 * time.Hour) }
