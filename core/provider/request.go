package provider

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
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
	Effort string // reasoning effort; "" lets the backend choose
	// Instructions is the system prompt; "" uses the client's.
	Instructions string
	// ConversationID identifies the conversation: session-id and
	// thread-id headers and prompt_cache_key. NewConversationID makes one.
	ConversationID string
	// Input is the whole conversation so far, ending with the user's turn:
	// the backend keeps nothing between turns.
	Input []Item
}

// NewConversationID returns a random UUID (version 4).
func NewConversationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// requestBody is the JSON body of POST /responses (codex-protocol.md §4.3–4.4).
// It has no max_output_tokens, temperature or top_p: the backend rejects them.
type requestBody struct {
	Model             string            `json:"model"`
	Instructions      string            `json:"instructions"`
	Input             []any             `json:"input"`
	Tools             []json.RawMessage `json:"tools"`
	ToolChoice        string            `json:"tool_choice"`
	ParallelToolCalls bool              `json:"parallel_tool_calls"`
	Reasoning         reasoningParam    `json:"reasoning"`
	Store             bool              `json:"store"`
	Stream            bool              `json:"stream"`
	Include           []string          `json:"include"`
	PromptCacheKey    string            `json:"prompt_cache_key"`
}

type reasoningParam struct {
	Effort  string `json:"effort,omitempty"`
	Summary string `json:"summary"`
}

// body builds the request body for r.
func (c *Client) body(r TurnRequest) ([]byte, error) {
	if r.Model == "" {
		return nil, fmt.Errorf("no model given")
	}
	if len(r.Input) == 0 {
		return nil, fmt.Errorf("nothing to send")
	}
	instr := r.Instructions
	if instr == "" {
		instr = c.opts.Instructions
	}
	effort := r.Effort
	if effort == "ultra" { // Codex sends ultra as max
		effort = "max"
	}
	in := make([]any, len(r.Input))
	for i, it := range r.Input {
		in[i] = it.forRequest()
	}
	return json.Marshal(requestBody{
		Model:             r.Model,
		Instructions:      instr,
		Input:             in,
		Tools:             []json.RawMessage{},
		ToolChoice:        "auto",
		ParallelToolCalls: false,
		Reasoning:         reasoningParam{Effort: effort, Summary: "auto"},
		Store:             false,
		Stream:            true,
		Include:           []string{"reasoning.encrypted_content"},
		PromptCacheKey:    r.ConversationID,
	})
}
