package providertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/klauspost/compress/zstd"
)

// HeaderResponsesLite is the header that marks a Responses-Lite turn.
const HeaderResponsesLite = "x-openai-internal-codex-responses-lite"

// Account is one entry of the workspace routing discovery answer
// (GET /wham/accounts/check).
type Account struct {
	ID string
	// RoutingOverride is account_routing_override: "NO_CONSTRAINT", "us",
	// "us_cr"; "" leaves it out.
	RoutingOverride string
	// Origin is workspace_backend_origin; "" leaves it out.
	Origin string
	Plan   string // plan_type; "" leaves it out
}

// AccountsCheck is the body of GET /wham/accounts/check listing accounts.
func AccountsCheck(accounts ...Account) []byte {
	list := []map[string]any{}
	for _, a := range accounts {
		m := map[string]any{"id": a.ID, "structure": "personal", "is_deactivated": false}
		if a.RoutingOverride != "" {
			m["account_routing_override"] = a.RoutingOverride
		}
		if a.Origin != "" {
			m["workspace_backend_origin"] = a.Origin
		}
		if a.Plan != "" {
			m["plan_type"] = a.Plan
		}
		list = append(list, m)
	}
	b, _ := json.Marshal(map[string]any{"accounts": list})
	return b
}

var zstdDecoder, _ = zstd.NewReader(nil)

func zstdDecode(b []byte) ([]byte, error) { return zstdDecoder.DecodeAll(b, nil) }

// checkDialect checks a ChatGPT /codex/responses request against the
// dialect the served catalog gives its model, the way the real backend
// rejects a Responses-Lite request that lacks a Lite property with a 400
// (docs/codex-today.md §2). The full dialect and a model the catalog does not
// list have no dialect rules beyond CheckResponsesRequest's.
func (s *Server) checkDialect(h http.Header, body []byte) []string {
	var b map[string]any
	if json.Unmarshal(body, &b) != nil {
		return nil // CheckResponsesRequest reports it
	}
	model, _ := b["model"].(string)
	lite, known := s.IsLite(model)
	if !known {
		return nil
	}
	if lite {
		return CheckLite(h, body)
	}
	return nil // what the backend wants of the full dialect is checked by CheckResponsesRequest
}

// CheckLite lists the Responses-Lite properties a request lacks: the
// header, no top-level instructions or tools, parallel_tool_calls false and
// reasoning.context "all_turns". The real backend answers such a request 400
// ("Responses-Lite requires parallel_tool_calls to be false", …).
func CheckLite(h http.Header, body []byte) []string {
	var p []string
	bad := func(f string, a ...any) { p = append(p, fmt.Sprintf(f, a...)) }
	var b map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil {
		return []string{"body is not a JSON object: " + err.Error()}
	}
	if h.Get(HeaderResponsesLite) != "true" {
		bad("Responses-Lite requires the %s: true header (got %q)", HeaderResponsesLite, h.Get(HeaderResponsesLite))
	}
	if _, ok := b["instructions"]; ok {
		bad("Responses-Lite does not accept top-level instructions; send them as a developer message")
	}
	if _, ok := b["tools"]; ok {
		bad("Responses-Lite does not accept a top-level tools key")
	}
	if v, ok := b["parallel_tool_calls"]; !ok || v != false {
		bad("Responses-Lite requires parallel_tool_calls to be false (got %v)", v)
	}
	r, _ := b["reasoning"].(map[string]any)
	if r == nil || r["context"] != "all_turns" {
		bad("Responses-Lite requires reasoning.context \"all_turns\" (got %v)", b["reasoning"])
	}
	return p
}

// Conversation is the request's input without the leading developer
// (system prompt) messages: the conversation the user sees.
func (r Request) Conversation() []any {
	in, _ := r.JSON["input"].([]any)
	for len(in) > 0 {
		it, _ := in[0].(map[string]any)
		if it["type"] != "message" || (it["role"] != "developer" && it["role"] != "system") {
			break
		}
		in = in[1:]
	}
	return in
}
