package cli

// The request interop test: the real Codex CLI (`codex exec`) and
// `codextray chat` talk to the same fake ChatGPT backend, which serves both
// the model catalog bundled with Codex 0.171.0, and every turn request of
// one is compared with the other's, property by property. Codex keeps its
// production URLs: codexfake's CONNECT proxy intercepts chatgpt.com for it
// (CONNECT proxy, throwaway CA, 426 on the WebSocket upgrade, zstd bodies).
// The test needs the real Codex and fails without it.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth/authtest"
	pt "github.com/codextray/codextray/core/provider/providertest"
	"github.com/codextray/codextray/internal/codexfake"
)

// Headers both clients send with the same meaning: compared for equal
// presence and value.
var sameHeaders = []string{
	"Accept", "Content-Type", "Authorization", "ChatGPT-Account-ID", "version",
	"x-openai-internal-codex-responses-lite", // the Lite dialect
	"x-openai-account-routing-override",      // workspace routing
	"x-codex-routing-hint",                   // model (and tier) for the backend's router
}

// Headers that must equal the conversation (thread) id in both clients; the
// ids themselves differ (each client starts its own thread), their form
// (UUIDv7) and their relation to prompt_cache_key are compared.
var threadHeaders = []string{"session-id", "thread-id", "x-client-request-id"}

// Headers deliberately left different, each with its reason. A header of
// Codex's request in none of these lists fails the test, so that a new
// property of a new Codex is looked at, not ignored.
var differentHeaders = map[string]string{
	"originator":              "identifies the client in OpenAI's logs: codex_exec for `codex exec`; Codex Tray is another client",
	"User-Agent":              "names the client and its version; Codex Tray names itself",
	"Content-Encoding":        "Codex compresses bodies with zstd; compression is optional and a chat body is small",
	"Accept-Encoding":         "Codex asks for zstd answers; Go's HTTP client asks for gzip by itself",
	"Content-Length":          "follows from the body, which differs in the harness items",
	"x-codex-beta-features":   "Codex's own features (remote compaction); a chat uses none",
	"x-codex-turn-metadata":   "telemetry: installation id, sandbox, turn ids of Codex's agent loop",
	"x-codex-window-id":       "telemetry of Codex's context-compaction windows; a chat has none",
	"Connection":              "transport",
	"X-Forwarded-For":         "transport",
	"Traceparent":             "tracing of Codex's own spans",
	"Tracestate":              "tracing of Codex's own spans",
	"x-codex-parent-turn-id":  "Codex's sub-agent bookkeeping",
	"x-openai-subagent":       "Codex's sub-agent bookkeeping",
	"x-codex-installation-id": "telemetry: Codex's installation id",
}

// Body properties compared for equal presence and value.
var sameBody = []string{"model", "include", "store", "stream", "tool_choice", "parallel_tool_calls", "reasoning",
	"text", "service_tier", "instructions"}

// Body properties deliberately different, with the reason.
var differentBody = map[string]string{
	"client_metadata":  "telemetry: Codex's installation, session and turn ids",
	"tools":            "Codex offers its agent tools; a chat has none (presence compared: a key in the full dialect, none in Lite)",
	"prompt_cache_key": "each client's own thread id (compared: equals the session-id header in both)",
	"input":            "compared item by item below, without Codex's harness items",
}

// Per input item, properties deliberately not compared.
var differentItemFields = map[string]string{
	"id": "Codex gives its items ids for its own rollout file; with store false the backend keeps nothing to refer to",
	"internal_chat_message_metadata_passthrough": "Codex's bookkeeping of where an item came from",
	"status":  "echoed from the answer by Codex; the backend does not need it in input",
	"content": "(reasoning only) Codex echoes content null; reasoning has only summary and encrypted_content",
}

// The Codex harness items that a chat does not have: its tool list, the
// developer messages after the base prompt (skills, permissions,
// collaboration mode, multi-agent role) and the environment context.
func isCodexHarness(it map[string]any) bool {
	if it["type"] == "additional_tools" {
		return true
	}
	if it["type"] != "message" {
		return false
	}
	text := firstText(it)
	return it["role"] == "user" && strings.HasPrefix(text, "<environment_context>")
}

func firstText(it map[string]any) string {
	c, _ := it["content"].([]any)
	if len(c) == 0 {
		return ""
	}
	m, _ := c[0].(map[string]any)
	s, _ := m["text"].(string)
	return s
}

var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// interopTurn is one turn both clients make.
type interopTurn struct {
	name   string
	prompt string
	image  bool
	resume bool   // a second turn of the conversation before it
	effort string // "" for high
}

func TestInteropRequestsMatchCodex(t *testing.T) {
	codex := mustRealCodex(t)
	e := newTestEnv(t)
	e.codex = codex
	if err := authtest.WriteAtomic(e.authPath(), authtest.Login{Expires: time.Now().Add(2 * time.Hour)}.Document()); err != nil {
		t.Fatal(err)
	}
	// Codex with the reasoning summaries a chat shows.
	e.writeConfig("model_reasoning_summary = \"auto\"\n")

	srv := pt.New(t, "")
	srv.ExpectAccountID(authtest.AccountID)
	catalog, err := os.ReadFile(filepath.Join("..", "provider", "providertest", "testdata", "codex-0.171.0-models.json"))
	if err != nil {
		t.Fatal(err)
	}
	// One change to the 0.171.0 catalog: gpt-5.6-sol without the reasoning
	// summary parameter, to see what both clients send a model that has none.
	catalog = withoutSummaries(t, catalog, "gpt-5.6-sol")
	srv.SetModels(catalog, `"catalog-0.171.0"`)
	srv.SetRoutingOverride("us") // both must send it on their turns
	srv.SetFallback(pt.Reply{Chunks: []string{pt.Stream("Hello from the fake backend.", pt.Usage{Input: 10, Output: 5})}})
	// The real Codex keeps its production URLs (it refuses a plain-HTTP
	// ChatGPT base URL and fetches its catalog from production whatever
	// the config says): a CONNECT proxy with a throwaway CA hands every
	// host it asks for to the fake.
	ca, err := codexfake.NewCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	front := codexfake.StartProxy(t, ca, srv, "*")

	img := filepath.Join(t.TempDir(), "red.png")
	if err := os.WriteFile(img, tinyPNG(), 0o600); err != nil {
		t.Fatal(err)
	}
	trayEnv := append(append([]string{}, e.env...), "CODEXTRAY_CHATGPT_BASE_URL="+srv.ChatGPTBaseURL)
	codexEnv := append(front.Env(), "RUST_LOG=warn")

	turns := []interopTurn{
		{name: "first turn", prompt: "Say hi"},
		{name: "second turn", prompt: "Say hi again", resume: true},
		{name: "image turn", prompt: "What is in the picture?", image: true},
	}
	// The five turns of the issue (Lite: first, second, image; full
	// dialect: first, second), the full dialect's image turn, the top
	// effort of a Lite model, and a model in no catalog, which gets the
	// dialect Codex gives it.
	plan := map[string][]interopTurn{
		"gpt-6.2-sol": append(turns, interopTurn{name: "ultra effort", prompt: "Think hard", effort: "ultra"},
			interopTurn{name: "max effort", prompt: "Think harder", effort: "max"}),
		"gpt-5.5":       turns,
		"gpt-5.6-sol":   {{name: "ultra effort, no multi-agent effort, no summaries", prompt: "Think hard", effort: "ultra"}},
		"gpt-unknown-9": turns[:1],
	}
	wantLite := map[string]bool{"gpt-6.2-sol": true, "gpt-5.5": false, "gpt-5.6-sol": true, "gpt-unknown-9": false}
	for _, model := range []string{"gpt-6.2-sol", "gpt-5.5", "gpt-5.6-sol", "gpt-unknown-9"} {
		lite, known := srv.IsLite(model)
		if known != (model != "gpt-unknown-9") || lite != wantLite[model] {
			t.Fatalf("the catalog does not have %s as the test expects (lite %v, known %v)", model, lite, known)
		}
		conversation := int64(0)
		for _, turn := range plan[model] {
			effort := turn.effort
			if effort == "" {
				effort = "high"
			}
			name := fmt.Sprintf("%s, %s", model, turn.name)
			// The real Codex.
			args := []string{"exec", "--skip-git-repo-check", "-m", model, "-c", "model_reasoning_effort=" + effort}
			switch {
			case turn.resume:
				args = append(args, "resume", "--last", turn.prompt)
			case turn.image:
				args = append(args, "--image="+img, turn.prompt)
			default:
				args = append(args, turn.prompt)
			}
			before := len(srv.Requests())
			cmd := e.codexCmd(t.Context(), codexEnv, args...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: codex %s: %v\n%s", name, strings.Join(args, " "), err, out)
			}
			want := lastTurnRequest(srv.Requests()[before:], "codex_exec")
			if want == nil {
				t.Fatalf("%s: codex sent no turn request; proxy saw %v\n%s", name, front.Seen(), out)
			}

			// codextray chat.
			cargs := []string{"chat", "--json", "--model", model, "--effort", effort}
			if turn.resume {
				cargs = append(cargs, "--continue", fmt.Sprint(conversation))
			}
			if turn.image {
				cargs = append(cargs, "--image", img)
			}
			cargs = append(cargs, turn.prompt)
			before = len(srv.Requests())
			stdout, stderr, code := runCodextray(t, trayEnv, cargs...)
			if code != 0 {
				t.Fatalf("%s: codextray %s: exit %d\nstdout %s\nstderr %s", name, strings.Join(cargs, " "), code, stdout, stderr)
			}
			lines := jsonLines(t, stdout)
			if done := lines[len(lines)-1]; done["type"] == "done" && !turn.resume && !turn.image {
				conversation = int64(done["conversation"].(float64))
			}
			got := lastTurnRequest(srv.Requests()[before:], "")
			if got == nil {
				t.Fatalf("%s: codextray sent no turn request", name)
			}
			compareTurnRequests(t, name, *want, *got)
		}
	}
}

// lastTurnRequest is the last POST /codex/responses among reqs from the
// client with this originator ("" for Codex Tray's).
func lastTurnRequest(reqs []pt.Request, originator string) *pt.Request {
	for i := len(reqs) - 1; i >= 0; i-- {
		r := reqs[i]
		if r.Method != "POST" || !strings.HasSuffix(r.Path, "/codex/responses") {
			continue
		}
		isCodex := r.Header.Get("originator") == "codex_exec"
		if (originator != "") == isCodex {
			return &reqs[i]
		}
	}
	return nil
}

// compareTurnRequests compares Codex's request (want) with Codex Tray's.
func compareTurnRequests(t *testing.T, name string, want, got pt.Request) {
	t.Helper()
	bad := func(f string, a ...any) { t.Errorf("%s: "+f, append([]any{name}, a...)...) }

	// Headers.
	known := map[string]bool{"Host": true}
	for _, h := range sameHeaders {
		known[httpKey(h)] = true
		w, g := want.Header.Values(h), got.Header.Values(h)
		if !reflect.DeepEqual(w, g) {
			bad("header %s: Codex sends %q, Codex Tray %q", h, w, g)
		}
	}
	for _, h := range threadHeaders {
		known[httpKey(h)] = true
		for who, r := range map[string]pt.Request{"Codex": want, "Codex Tray": got} {
			v := r.Header.Get(h)
			if !uuidV7.MatchString(v) || v != r.JSON["prompt_cache_key"] {
				bad("%s: header %s %q is not a UUIDv7 equal to prompt_cache_key %v", who, h, v, r.JSON["prompt_cache_key"])
			}
		}
	}
	for h := range differentHeaders {
		known[httpKey(h)] = true
	}
	for h := range want.Header {
		if !known[httpKey(h)] {
			bad("Codex sends header %s (%q), which the test neither compares nor lists as different", h, want.Header.Get(h))
		}
	}
	for h := range got.Header {
		if !known[httpKey(h)] {
			bad("Codex Tray sends header %s (%q), which the test neither compares nor lists as different", h, got.Header.Get(h))
		}
	}

	// Body.
	w, g := want.JSON, got.JSON
	for _, k := range sameBody {
		wv, wok := w[k]
		gv, gok := g[k]
		if wok != gok || !reflect.DeepEqual(wv, gv) {
			bad("body %s: Codex %s, Codex Tray %s", k, show(wv, wok), show(gv, gok))
		}
	}
	if _, wok := w["tools"]; wok != hasKey(g, "tools") {
		bad("body tools: Codex has the key: %v, Codex Tray: %v", wok, hasKey(g, "tools"))
	}
	for k := range w {
		if !slices.Contains(sameBody, k) && differentBody[k] == "" {
			bad("Codex sends body property %s, which the test neither compares nor lists as different", k)
		}
	}
	for k := range g {
		if !slices.Contains(sameBody, k) && differentBody[k] == "" {
			bad("Codex Tray sends body property %s, which the test neither compares nor lists as different", k)
		}
	}

	// Input: the base prompt as the first developer message in both (its
	// text is each client's own), then the conversation item by item.
	wIn, gIn := items(w), items(g)
	wConv, gConv := conversationOf(wIn), conversationOf(gIn)
	for who, in := range map[string][]map[string]any{"Codex": wIn, "Codex Tray": gIn} {
		i := slices.IndexFunc(in, func(it map[string]any) bool { return it["type"] == "message" })
		if i < 0 || in[i]["role"] != "developer" || firstText(in[i]) == "" {
			bad("%s: the first message is not the developer base prompt", who)
		}
	}
	if len(wConv) != len(gConv) {
		bad("conversation: Codex sends %d items %s, Codex Tray %d %s", len(wConv), kinds(wConv), len(gConv), kinds(gConv))
		return
	}
	for i := range wConv {
		compareItem(bad, i, wConv[i], gConv[i])
	}
	t.Logf("%s: lite header %q/%q, reasoning %s, conversation %s", name, want.Header.Get("x-openai-internal-codex-responses-lite"),
		got.Header.Get("x-openai-internal-codex-responses-lite"), show(g["reasoning"], true), kinds(gConv))
}

// conversationOf drops the developer messages and Codex's harness items.
func conversationOf(in []map[string]any) []map[string]any {
	var out []map[string]any
	for _, it := range in {
		if isCodexHarness(it) || it["type"] == "message" && it["role"] == "developer" {
			continue
		}
		out = append(out, it)
	}
	return out
}

func compareItem(bad func(string, ...any), i int, w, g map[string]any) {
	if w["type"] != g["type"] || w["role"] != g["role"] {
		bad("input item %d: Codex %v/%v, Codex Tray %v/%v", i, w["type"], w["role"], g["type"], g["role"])
		return
	}
	switch w["type"] {
	case "reasoning":
		for _, k := range []string{"summary", "encrypted_content"} {
			if !reflect.DeepEqual(w[k], g[k]) {
				bad("reasoning item %d %s: Codex %v, Codex Tray %v", i, k, w[k], g[k])
			}
		}
	case "message":
		// The user's text and images: Codex wraps an image in
		// <image name=… path=…> text parts naming its file (Codex Tray has
		// no path for a pasted image) and puts it before the prompt; the
		// typed text and each image (data and detail) must be equal.
		wText, wImgs := messageParts(w)
		gText, gImgs := messageParts(g)
		if !slices.Contains(wText, strings.Join(gText, "")) && strings.Join(wText, "") != strings.Join(gText, "") {
			bad("message %d (%v): Codex texts %q, Codex Tray %q", i, w["role"], wText, gText)
		}
		if !reflect.DeepEqual(wImgs, gImgs) {
			bad("message %d images: Codex %v, Codex Tray %v", i, wImgs, gImgs)
		}
		for _, c := range contents(w) {
			if c["type"] == "output_text" && w["role"] != "assistant" {
				bad("message %d: output_text in a %v message", i, w["role"])
			}
		}
	default:
		bad("input item %d of type %v in a chat", i, w["type"])
	}
	for k := range w {
		if _, ok := g[k]; !ok && differentItemFields[k] == "" && w[k] != nil {
			bad("input item %d: Codex sends %s, Codex Tray does not", i, k)
		}
	}
}

func messageParts(it map[string]any) (texts []string, images []string) {
	for _, c := range contents(it) {
		switch c["type"] {
		case "input_text", "output_text":
			s, _ := c["text"].(string)
			if strings.HasPrefix(s, "<image name=") || s == "</image>" {
				continue
			}
			texts = append(texts, s)
		case "input_image":
			u, _ := c["image_url"].(string)
			d, _ := c["detail"].(string)
			images = append(images, fmt.Sprintf("%s… detail=%q", u[:min(len(u), 40)], d))
		}
	}
	sort.Strings(images)
	return texts, images
}

func contents(it map[string]any) []map[string]any {
	var out []map[string]any
	c, _ := it["content"].([]any)
	for _, x := range c {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func items(b map[string]any) []map[string]any {
	var out []map[string]any
	in, _ := b["input"].([]any)
	for _, x := range in {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func kinds(in []map[string]any) string {
	var s []string
	for _, it := range in {
		s = append(s, fmt.Sprintf("%v/%v", it["type"], it["role"]))
	}
	return "[" + strings.Join(s, " ") + "]"
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

func show(v any, ok bool) string {
	if !ok {
		return "(absent)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func httpKey(h string) string { return strings.ToLower(h) }

// tinyPNG is a valid 4×4 red PNG.
func tinyPNG() []byte {
	b, err := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGP4z8AARwzEcQCukw/x0F8jngAAAABJRU5ErkJggg==")
	if err != nil {
		panic(err)
	}
	return b
}

// withoutSummaries sets supports_reasoning_summary_parameter false for
// slug: what makes Codex 0.171 leave reasoning.summary out (measured;
// supports_reasoning_summaries false alone does not).
func withoutSummaries(t *testing.T, catalog []byte, slug string) []byte {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(catalog, &c); err != nil {
		t.Fatal(err)
	}
	for _, m := range c["models"].([]any) {
		if m := m.(map[string]any); m["slug"] == slug {
			m["supports_reasoning_summary_parameter"] = false
		}
	}
	b, _ := json.Marshal(c)
	return b
}
