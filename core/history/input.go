package history

import (
	"encoding/json"

	"github.com/codextray/codextray/core/provider"
)

// Input rebuilds the input items that continue a conversation: each user
// message with its images, and each assistant answer as the items it
// produced (reasoning with its encrypted content, then the message), or as
// plain text when none were kept. Failed answers with no text are left out.
func Input(msgs []Message) []provider.Item {
	var out []provider.Item
	for _, m := range msgs {
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
