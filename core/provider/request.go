package provider

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"
)

// Item types of the Responses API that Codex Tray sends and keeps.
const (
	ItemMessage      = "message"
	ItemReasoning    = "reasoning"
	ItemFunctionCall = "function_call"
)

// Content types of a message.
const (
	ContentInputText  = "input_text"
	ContentInputImage = "input_image"
	ContentOutputText = "output_text"
)

// Item is one entry of a conversation: a message, a reasoning item (whose
// EncryptedContent must be sent back in later turns, since nothing is
// stored on the server) or a function call.
type Item struct {
	Type    string    `json:"type"`
	ID      string    `json:"id,omitempty"`
	Role    string    `json:"role,omitempty"`
	Content []Content `json:"content,omitempty"`

	Summary          []Summary `json:"summary,omitempty"`
	EncryptedContent string    `json:"encrypted_content,omitempty"`

	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
	CallID    string `json:"call_id,omitempty"`
}

// Content is one part of a message.
type Content struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	ImageURL string `json:"image_url,omitempty"`
	// Detail is "original" on images sent to a full-dialect model that
	// supports it, as Codex sends them; set when the request is built.
	Detail string `json:"detail,omitempty"`
}

// Summary is one paragraph of a reasoning summary.
type Summary struct {
	Type string `json:"type"` // "summary_text"
	Text string `json:"text"`
}

// UserMessage is a user turn: the text, then the images as data URLs.
func UserMessage(text string, images ...Image) Item {
	it := Item{Type: ItemMessage, Role: "user"}
	if text != "" {
		it.Content = append(it.Content, Content{Type: ContentInputText, Text: text})
	}
	for _, img := range images {
		it.Content = append(it.Content, Content{Type: ContentInputImage, ImageURL: img.DataURL()})
	}
	return it
}

// AssistantMessage is an earlier answer, sent back as history.
func AssistantMessage(text string) Item {
	return Item{Type: ItemMessage, Role: "assistant", Content: []Content{{Type: ContentOutputText, Text: text}}}
}

// Text is the concatenated text of a message item.
func (it Item) Text() string {
	var s string
	for _, c := range it.Content {
		if c.Type == ContentOutputText || c.Type == ContentInputText {
			s += c.Text
		}
	}
	return s
}

// forRequest is it as the backend accepts it in input: without the server's
// item id (always safe to omit) and, for reasoning, with summary present and
// only the encrypted content, never raw reasoning text.
func (it Item) forRequest() any {
	switch it.Type {
	case ItemReasoning:
		summary := it.Summary
		if summary == nil {
			summary = []Summary{}
		}
		return struct {
			Type             string    `json:"type"`
			Summary          []Summary `json:"summary"`
			EncryptedContent string    `json:"encrypted_content,omitempty"`
		}{ItemReasoning, summary, it.EncryptedContent}
	case ItemFunctionCall:
		return struct {
			Type      string `json:"type"`
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
			CallID    string `json:"call_id"`
		}{ItemFunctionCall, it.Name, it.Arguments, it.CallID}
	default:
		c := it
		c.ID = ""
		return c
	}
}

// TurnRequest is one turn of a conversation.
type TurnRequest struct {
	Model  string // slug, required
	Effort string // reasoning effort; "" uses the model's default
	// Instructions is the system prompt; "" uses the client's.
	Instructions string
	// ConversationID identifies the conversation: session-id, thread-id
	// and x-client-request-id headers and prompt_cache_key.
	// NewConversationID makes one.
	ConversationID string
	// ServiceTier asks for a speed tier the model's catalog entry lists,
	// e.g. ServiceTierPriority (the chat's "Fast"); "" for the standard one.
	ServiceTier string
	// Input is the whole conversation so far, ending with the user's turn:
	// the backend keeps nothing between turns.
	Input []Item
}

// NewConversationID returns a random UUID of version 7 (time-ordered), the
// kind Codex 0.171 uses for its thread ids.
func NewConversationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	ms := uint64(time.Now().UnixMilli())
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// requestBody is the JSON body of POST /responses. In ChatGPT mode it has
// the shape Codex 0.171 sends (docs/codex-today.md §2): no top-level
// instructions (the prompt is a developer message), and for a
// Responses-Lite model no tools key, parallel_tool_calls false and
// reasoning.context "all_turns". It never has max_output_tokens,
// temperature or top_p: the backend rejects them.
type requestBody struct {
	Model             string          `json:"model"`
	Instructions      string          `json:"instructions,omitempty"` // API-key mode only
	Input             []any           `json:"input"`
	Tools             json.RawMessage `json:"tools,omitempty"` // "[]", or absent for Lite
	ToolChoice        string          `json:"tool_choice"`
	ParallelToolCalls bool            `json:"parallel_tool_calls"`
	Reasoning         *reasoningParam `json:"reasoning,omitempty"`
	Store             bool            `json:"store"`
	Stream            bool            `json:"stream"`
	Include           []string        `json:"include"`
	PromptCacheKey    string          `json:"prompt_cache_key"`
	ServiceTier       string          `json:"service_tier,omitempty"`
	Text              *textParam      `json:"text,omitempty"`
}

type reasoningParam struct {
	Effort  string `json:"effort,omitempty"`
	Context string `json:"context,omitempty"` // "all_turns" for Responses-Lite
	Summary string `json:"summary,omitempty"`
}

type textParam struct {
	Verbosity string `json:"verbosity,omitempty"`
}

// dialect is what the model's catalog entry decides about a request.
type dialect struct {
	known bool  // the model is in the catalog (the backend's or the bundled one)
	model Model // its entry
}

func (d dialect) lite() bool { return d.known && d.model.UseResponsesLite }

// body builds the request body for r in the old shape Codex Tray keeps for
// the OpenAI API (API-key mode): top-level instructions, empty tools.
func (c *Client) body(r TurnRequest) ([]byte, error) {
	if err := checkTurn(r); err != nil {
		return nil, err
	}
	in := make([]any, len(r.Input))
	for i, it := range r.Input {
		in[i] = it.forRequest()
	}
	return json.Marshal(requestBody{
		Model:             r.Model,
		Instructions:      c.instructions(r),
		Input:             in,
		Tools:             json.RawMessage("[]"),
		ToolChoice:        "auto",
		ParallelToolCalls: false,
		Reasoning:         &reasoningParam{Effort: wireEffort(r.Effort), Summary: "auto"},
		Store:             false,
		Stream:            true,
		Include:           []string{"reasoning.encrypted_content"},
		PromptCacheKey:    r.ConversationID,
	})
}

// chatgptBody builds the body for the ChatGPT backend as Codex 0.171 does
// for the model's dialect, for a chat without tools: the system prompt as
// the first developer message; Lite: no tools key, parallel_tool_calls
// false, reasoning.context "all_turns", images without detail; full
// dialect: "tools": [], parallel tool calls as the catalog says, images
// with detail "original" where the model supports it. Reasoning summaries
// are asked for ("auto", as Codex with model_reasoning_summary = "auto")
// unless the model has none; verbosity is the catalog's default where the
// model supports it. A model in no catalog gets what Codex gives it: the
// full dialect, no verbosity.
func (c *Client) chatgptBody(r TurnRequest, d dialect) ([]byte, error) {
	if err := checkTurn(r); err != nil {
		return nil, err
	}
	m := d.model
	in := make([]any, 0, len(r.Input)+1)
	in = append(in, Item{Type: ItemMessage, Role: "developer", Content: []Content{{Type: ContentInputText, Text: c.instructions(r)}}})
	detail := ""
	if d.known && !m.UseResponsesLite && m.SupportsImageDetailOriginal {
		detail = "original"
	}
	for _, it := range r.Input {
		if detail != "" && it.Type == ItemMessage {
			it.Content = withImageDetail(it.Content, detail)
		}
		in = append(in, it.forRequest())
	}
	effort := r.Effort
	if effort == "" && d.known {
		effort = m.DefaultReasoningLevel
	}
	b := requestBody{
		Model:          r.Model,
		Input:          in,
		ToolChoice:     "auto",
		Store:          false,
		Stream:         true,
		Include:        []string{"reasoning.encrypted_content"},
		PromptCacheKey: r.ConversationID,
		ServiceTier:    r.ServiceTier,
	}
	rp := &reasoningParam{Effort: wireEffort(effort)}
	if effort == "ultra" && m.MultiAgentReasoningEffort != "" {
		// Ultra is delegation in Codex: its turn asks for the root agent's
		// effort, which a chat (no delegation) asks for too.
		rp.Effort = m.MultiAgentReasoningEffort
	}
	if !d.known || m.SupportsSummaries() {
		rp.Summary = "auto"
	}
	if d.lite() {
		b.ParallelToolCalls = false
		rp.Context = "all_turns"
	} else {
		b.Tools = json.RawMessage("[]")
		b.ParallelToolCalls = !d.known || m.SupportsParallelToolCalls
	}
	b.Reasoning = rp
	if d.known && m.SupportVerbosity && m.DefaultVerbosity != "" {
		b.Text = &textParam{Verbosity: m.DefaultVerbosity}
	}
	return json.Marshal(b)
}

func withImageDetail(cs []Content, detail string) []Content {
	out := make([]Content, len(cs))
	for i, c := range cs {
		if c.Type == ContentInputImage && c.Detail == "" {
			c.Detail = detail
		}
		out[i] = c
	}
	return out
}

func checkTurn(r TurnRequest) error {
	if r.Model == "" {
		return fmt.Errorf("no model given")
	}
	if len(r.Input) == 0 {
		return fmt.Errorf("nothing to send")
	}
	return nil
}

func (c *Client) instructions(r TurnRequest) string {
	if r.Instructions != "" {
		return r.Instructions
	}
	return c.opts.Instructions
}

// wireEffort is effort as the backend takes it: Codex sends ultra as max
// for a model whose catalog entry names no multi-agent effort.
func wireEffort(effort string) string {
	if effort == "ultra" {
		return "max"
	}
	return effort
}
