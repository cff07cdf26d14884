package history

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// A history of 10,000 conversations of 20 messages each, built once per
// benchmark run.
const benchConversations, benchMessages = 10000, 20

var (
	benchOnce  sync.Once
	benchStore *Store
	benchDir   string
	benchErr   error
)

// Text is drawn from a 20,000-word vocabulary with Zipf-distributed
// frequencies, as natural language is: "w0" is as common as "the", "w5000"
// is rare.
func sentence(r *rand.Rand, n int) string {
	b := make([]byte, 0, n*7)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		b = fmt.Appendf(b, "w%d", zipf(r))
	}
	return string(b)
}

// zipf draws a word rank with P(k) ∝ 1/(k+1) over 20,000 words.
func zipf(r *rand.Rand) int {
	const n = 20000
	// Inverse of the continuous CDF ln(k+1)/ln(n+1).
	return int(math.Exp(r.Float64()*math.Log(n+1))) - 1
}

func bigHistory(b *testing.B) *Store {
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "codextray-history-bench")
		if benchErr != nil {
			return
		}
		benchStore, benchErr = Open(context.Background(), filepath.Join(benchDir, "history.db"))
		if benchErr != nil {
			return
		}
		r := rand.New(rand.NewPCG(1, 2))
		tx, err := benchStore.db.Begin()
		if err != nil {
			benchErr = err
			return
		}
		conv, _ := tx.Prepare(`INSERT INTO conversations(id, title, created_at, updated_at) VALUES (?, ?, ?, ?)`)
		msg, _ := tx.Prepare(`INSERT INTO messages(conversation_id, role, text, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`)
		t := int64(1_700_000_000_000)
		for c := 1; c <= benchConversations; c++ {
			if _, err := conv.Exec(c, sentence(r, 6), t, t+int64(c)); err != nil {
				benchErr = err
				return
			}
			for m := 0; m < benchMessages; m++ {
				role := "user"
				n := 20
				if m%2 == 1 {
					role, n = "assistant", 120
				}
				if _, err := msg.Exec(c, role, sentence(r, n), t, t); err != nil {
					benchErr = err
					return
				}
			}
		}
		benchErr = tx.Commit()
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchStore != nil {
		benchStore.Close()
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// BenchmarkSidebar: the newest 100 conversations of 10,000.
func BenchmarkSidebar(b *testing.B) {
	s := bigHistory(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		list, err := s.Conversations(context.Background(), 100, 0)
		if err != nil || len(list) != 100 {
			b.Fatal(err, len(list))
		}
	}
}

// BenchmarkOpenConversation: one conversation of 20 messages.
func BenchmarkOpenConversation(b *testing.B) {
	s := bigHistory(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, msgs, err := s.Conversation(context.Background(), int64(1+i%benchConversations))
		if err != nil || len(msgs) != benchMessages {
			b.Fatal(err, len(msgs))
		}
	}
}

// BenchmarkSearch: two words over 200,000 messages, the best 50 hits.
func BenchmarkSearch(b *testing.B) {
	s := bigHistory(b)
	// A common and a rarer word, a prefix, a rare word alone.
	queries := []string{"w12 w480", "w73 w2000", "w31", "w9000"}
	for _, q := range queries {
		b.Run(q, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				hits, err := s.Search(context.Background(), q, 50)
				if err != nil || len(hits) == 0 {
					b.Fatal(err, fmt.Sprint(len(hits)))
				}
			}
		})
	}
}
