package history

import (
	"context"
	"strings"
)

// Hit is a message that matches a search.
type Hit struct {
	ConversationID int64  `json:"conversation_id"`
	Title          string `json:"title"`
	MessageID      int64  `json:"message_id"`
	Role           string `json:"role"`
	Snippet        string `json:"snippet"`
}

// Search finds messages, user and assistant alike, that contain every word
// of query (prefixes match too), newest first: for a chat history the
// recent match is the likely one, and FTS5 can stop after limit hits
// instead of ranking every match.
func (s *Store) Search(ctx context.Context, query string, limit int) ([]Hit, error) {
	q := ftsQuery(query)
	if q == "" {
		return nil, nil
	}
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, `SELECT m.conversation_id, c.title, m.id, m.role,
		snippet(messages_fts, -1, '[', ']', '…', 12)
		FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
		JOIN conversations c ON c.id = m.conversation_id
		WHERE messages_fts MATCH ? AND c.deleted_at IS NULL
		ORDER BY messages_fts.rowid DESC LIMIT ?`, q, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Hit
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.ConversationID, &h.Title, &h.MessageID, &h.Role, &h.Snippet); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// ftsQuery turns what a user typed into an FTS5 query: each word quoted
// (so punctuation and FTS operators are taken literally) and matched as a
// prefix.
func ftsQuery(query string) string {
	var terms []string
	for _, w := range strings.Fields(query) {
		w = strings.ReplaceAll(w, `"`, `""`)
		terms = append(terms, `"`+w+`"*`)
	}
	return strings.Join(terms, " ")
}
