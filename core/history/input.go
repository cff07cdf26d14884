package history

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/codextray/codextray/core/provider"
)

// Input rebuilds the input items that continue a conversation: each user
// message with its images, and each assistant answer as the items it
// produced (reasoning with its encrypted content, then the message), or as
// plain text when none were kept. Failed answers with no text are left out.
func Input(msgs []Message) []provider.Item {
	var out []provider.Item
	for _, m := range Visible(msgs) {
		switch m.Role {
		case "user":
			var imgs []provider.Image
			for _, a := range m.Attachments {
				imgs = append(imgs, provider.Image{MIME: a.MIME, Data: a.Data})
			}
			out = append(out, provider.UserMessage(m.Text, imgs...))
		case "assistant":
			var items []provider.Item
			if m.Items != "" && json.Unmarshal([]byte(m.Items), &items) == nil && len(items) > 0 {
				out = append(out, items...)
			} else if m.Text != "" {
				out = append(out, provider.AssistantMessage(m.Text))
			}
		}
	}
	return out
}

// ItemsJSON is the form Input reads back, for Draft.Finish.
func ItemsJSON(items []provider.Item) string {
	if len(items) == 0 {
		return ""
	}
	b, err := json.Marshal(items)
	if err != nil {
		return ""
	}
	return string(b)
}

// UsageJSON stores a turn's token counts.
func UsageJSON(u provider.Usage) string {
	b, _ := json.Marshal(u)
	return string(b)
}

// Visible drops the answers that were retried: an assistant message
// followed by another assistant message was replaced by it. The window,
// the export, `history show` and the next turn's input all use what is left.
func Visible(msgs []Message) []Message {
	out := make([]Message, 0, len(msgs))
	for i, m := range msgs {
		if m.Role == "assistant" && i+1 < len(msgs) && msgs[i+1].Role == "assistant" {
			continue
		}
		out = append(out, m)
	}
	return out
}

// Session is the backend session id (prompt_cache_key) of the
// conversation's turns; conversations recorded without one get one derived
// from their id, the same every time.
func (c Conversation) Session() string {
	if c.SessionID != "" {
		return c.SessionID
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "codextray-conversation-%d", c.ID))
	return fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
}
