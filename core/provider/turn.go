package provider

import "strings"

// Turn collects a streamed turn as the chat window keeps it: the answer
// text, the reasoning summary paragraphs, and the items to send back as
// history in the next turn (reasoning items with their encrypted content,
// then the assistant message).
type Turn struct {
	Text       strings.Builder
	Reasoning  []string // summary paragraphs by summary_index
	Items      []Item   // finished output items, in order
	Usage      Usage
	ResponseID string
	Completed  bool

	sawText bool
}

// Add folds ev into t and returns the text ev adds to the answer: a delta,
// or the whole message of an item whose text came without deltas.
func (t *Turn) Add(ev Event) string {
	switch e := ev.(type) {
	case Created:
		t.ResponseID = e.ResponseID
	case TextDelta:
		t.sawText = true
		t.Text.WriteString(e.Delta)
		return e.Delta
	case ReasoningSummaryDelta:
		if e.SummaryIndex < 0 || e.SummaryIndex > 1<<16 {
			return ""
		}
		for len(t.Reasoning) <= e.SummaryIndex {
			t.Reasoning = append(t.Reasoning, "")
		}
		t.Reasoning[e.SummaryIndex] += e.Delta
	case ItemDone:
		t.Items = append(t.Items, e.Item)
		if e.Item.Type == ItemMessage && e.Item.Role == "assistant" && !t.sawText {
			s := e.Item.Text()
			t.Text.WriteString(s)
			return s
		}
	case Completed:
		t.Usage, t.Completed = e.Usage, true
		if e.ResponseID != "" {
			t.ResponseID = e.ResponseID
		}
	}
	return ""
}

// History is the items of the turn to append to the conversation: what the
// backend returned, or the plain text when it returned no message item.
func (t *Turn) History() []Item {
	var out []Item
	hasMessage := false
	for _, it := range t.Items {
		switch it.Type {
		case ItemReasoning, ItemFunctionCall:
			out = append(out, it)
		case ItemMessage:
			hasMessage = true
			out = append(out, AssistantMessage(it.Text()))
		}
	}
	if !hasMessage && t.Text.Len() > 0 {
		out = append(out, AssistantMessage(t.Text.String()))
	}
	return out
}
