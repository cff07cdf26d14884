package provider

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	pt "github.com/codextray/codextray/core/provider/providertest"
)

func catalog0171(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("providertest", "testdata", "codex-0.171.0-models.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The fake backend refuses a Responses-Lite request that lacks any Lite
// property with a 400, as the real backend is reported to; Codex Tray's own
// request passes.
func TestFakeRejectsIncompleteLiteRequest(t *testing.T) {
	srv := pt.New(t, testToken)
	srv.SetModels(catalog0171(t), "")
	srv.QuietRejects()
	srv.SetFallback(pt.Reply{Chunks: []string{pt.Stream("ok", pt.Usage{})}})
	c := newTestClient(t, srv, nil)
	r := TurnRequest{Model: "gpt-6.2-sol", Effort: "high", ConversationID: NewConversationID(), Input: []Item{UserMessage("Hi")}}
	if _, _, err := run(t, c, r); err != nil {
		t.Fatalf("Codex Tray's own Lite request: %v", err)
	}
	good := srv.RequestsTo("/codex/responses")[0]

	post := func(h http.Header, body map[string]any) int {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, srv.ChatGPTBaseURL+"/codex/responses", bytes.NewReader(b))
		req.Header = h.Clone()
		req.Header.Del("Content-Length")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	clone := func() map[string]any {
		var m map[string]any
		_ = json.Unmarshal(good.Body, &m)
		return m
	}
	if code := post(good.Header, clone()); code != http.StatusOK {
		t.Fatalf("replaying Codex Tray's request: %d", code)
	}
	cases := map[string]func(h http.Header, b map[string]any){
		"no Lite header":             func(h http.Header, b map[string]any) { h.Del(pt.HeaderResponsesLite) },
		"top-level instructions":     func(h http.Header, b map[string]any) { b["instructions"] = "Be brief." },
		"a tools key":                func(h http.Header, b map[string]any) { b["tools"] = []any{} },
		"parallel_tool_calls true":   func(h http.Header, b map[string]any) { b["parallel_tool_calls"] = true },
		"no parallel_tool_calls":     func(h http.Header, b map[string]any) { delete(b, "parallel_tool_calls") },
		"no reasoning.context":       func(h http.Header, b map[string]any) { delete(b["reasoning"].(map[string]any), "context") },
		"reasoning.context not all":  func(h http.Header, b map[string]any) { b["reasoning"].(map[string]any)["context"] = "current_turn" },
		"no reasoning object at all": func(h http.Header, b map[string]any) { delete(b, "reasoning") },
		"the old shape (pre-0.171.0)": func(h http.Header, b map[string]any) {
			h.Del(pt.HeaderResponsesLite)
			b["instructions"] = "x"
			b["tools"] = []any{}
		},
	}
	for name, mutate := range cases {
		h, b := good.Header.Clone(), clone()
		mutate(h, b)
		if code := post(h, b); code != http.StatusBadRequest {
			t.Errorf("%s: the fake answered %d, want 400", name, code)
		}
	}
}

// The body of each dialect, as Codex 0.171 sends it for a chat without
// tools (measured; see the interop test in core/cli for the comparison with
// the real Codex).
func TestRequestDialects(t *testing.T) {
	var cat struct {
		Models []Model `json:"models"`
	}
	if err := json.Unmarshal(catalog0171(t), &cat); err != nil {
		t.Fatal(err)
	}
	find := func(slug string) dialect {
		for _, m := range cat.Models {
			if m.Slug == slug {
				return dialect{known: true, model: m}
			}
		}
		t.Fatalf("%s not in the catalog", slug)
		return dialect{}
	}
	c := New(Options{Credentials: StaticSource{}, CacheDir: "-"})
	png, _ := ImageFromBytes("a.png", []byte("\x89PNG\r\n\x1a\nxxxx"))
	r := TurnRequest{Model: "gpt-6.2-sol", ConversationID: "c1", Input: []Item{UserMessage("Hi", png)}}
	body := func(r TurnRequest, d dialect) map[string]any {
		b, err := c.chatgptBody(r, d)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	imageDetail := func(b map[string]any) any {
		user := b["input"].([]any)[1].(map[string]any)
		return user["content"].([]any)[1].(map[string]any)["detail"]
	}

	lite := body(r, find("gpt-6.2-sol"))
	if _, ok := lite["tools"]; ok || lite["parallel_tool_calls"] != false || lite["instructions"] != nil {
		t.Errorf("Lite: tools %v, parallel_tool_calls %v, instructions %v", lite["tools"], lite["parallel_tool_calls"], lite["instructions"])
	}
	// No effort given: the catalog's default; summaries "auto".
	if want := map[string]any{"effort": "low", "context": "all_turns", "summary": "auto"}; !reflect.DeepEqual(lite["reasoning"], want) {
		t.Errorf("Lite reasoning %v, want %v", lite["reasoning"], want)
	}
	if imageDetail(lite) != nil || !reflect.DeepEqual(lite["text"], map[string]any{"verbosity": "low"}) {
		t.Errorf("Lite: image detail %v, text %v", imageDetail(lite), lite["text"])
	}
	dev := lite["input"].([]any)[0].(map[string]any)
	if dev["role"] != "developer" || dev["content"].([]any)[0].(map[string]any)["text"] != DefaultInstructions {
		t.Errorf("Lite: first item %v, want the developer base prompt", dev)
	}

	r.Model = "gpt-5.5"
	r.Effort = "ultra"
	r.ServiceTier = ServiceTierPriority
	full := body(r, find("gpt-5.5"))
	if full["tools"] == nil || full["parallel_tool_calls"] != true || imageDetail(full) != "original" || full["service_tier"] != "priority" {
		t.Errorf("full dialect: tools %v, parallel_tool_calls %v, detail %v, tier %v", full["tools"], full["parallel_tool_calls"], imageDetail(full), full["service_tier"])
	}
	if want := map[string]any{"effort": "max", "summary": "auto"}; !reflect.DeepEqual(full["reasoning"], want) {
		t.Errorf("full reasoning %v, want %v (ultra is sent as max)", full["reasoning"], want)
	}

	// A model without summaries gets none.
	no := false
	d := find("gpt-5.5")
	d.model.SupportsReasoningSummaryParameter = &no
	r.Effort = "high"
	if got := body(r, d)["reasoning"]; !reflect.DeepEqual(got, map[string]any{"effort": "high"}) {
		t.Errorf("no summaries: reasoning %v", got)
	}

	// A model in no catalog: the full dialect, no verbosity, no detail —
	// what the real Codex 0.171.0 sent for an unknown slug.
	r.Model = "gpt-unknown-9"
	r.ServiceTier = ""
	unknown := body(r, dialect{})
	if unknown["tools"] == nil || unknown["parallel_tool_calls"] != true || unknown["text"] != nil || imageDetail(unknown) != nil ||
		!reflect.DeepEqual(unknown["reasoning"], map[string]any{"effort": "high", "summary": "auto"}) {
		t.Errorf("unknown model: %v", unknown)
	}
}

// The bundled fallback agrees with the 0.171.0 catalog on every field the
// request depends on.
func TestBundledCatalogMatches0171(t *testing.T) {
	var cat struct {
		Models []Model `json:"models"`
	}
	if err := json.Unmarshal(catalog0171(t), &cat); err != nil {
		t.Fatal(err)
	}
	if len(cat.Models) != len(bundledModels) {
		t.Errorf("catalog has %d models, bundled %d", len(cat.Models), len(bundledModels))
	}
	for _, m := range cat.Models {
		b, ok := bundledModel(m.Slug)
		if !ok {
			t.Errorf("%s is not bundled", m.Slug)
			continue
		}
		got := dialect{known: true, model: b}
		want := dialect{known: true, model: m}
		if got.lite() != want.lite() || b.DefaultReasoningLevel != m.DefaultReasoningLevel || b.SupportVerbosity != m.SupportVerbosity ||
			b.DefaultVerbosity != m.DefaultVerbosity || b.SupportsParallelToolCalls != m.SupportsParallelToolCalls ||
			b.SupportsImageDetailOriginal != m.SupportsImageDetailOriginal || !m.SupportsSummaries() ||
			b.MultiAgentReasoningEffort != m.MultiAgentReasoningEffort {
			t.Errorf("%s: bundled %+v differs from the catalog", m.Slug, b)
		}
	}
}
