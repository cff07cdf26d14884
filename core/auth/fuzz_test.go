package auth

import (
	"strings"
	"testing"
)

// FuzzParseDocument: any input parses or fails cleanly; what parses survives
// a write and a re-read unchanged; the status never shows a secret.
func FuzzParseDocument(f *testing.F) {
	for _, tc := range authCases {
		if len(tc.data) < 64<<10 {
			f.Add(tc.data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseDocument(data)
		st := NewStatus(Snapshot{Home: "/h", Source: SourceFile, Doc: doc, Err: err}, StatusOptions{Now: now})
		if st.State == "" || st.Message == "" {
			t.Fatalf("incomplete status %+v", st)
		}
		assertNoSecrets(t, data, st)
		if err != nil {
			return
		}
		out, err := doc.Marshal()
		if err != nil {
			t.Fatalf("marshal of a parsed document failed: %v", err)
		}
		again, err := ParseDocument(out)
		if err != nil {
			t.Fatalf("re-parse failed: %v", err)
		}
		if again.AuthMode != doc.AuthMode || !again.APIKey.Equal(doc.APIKey) || again.LastRefresh != doc.LastRefresh ||
			(again.Tokens == nil) != (doc.Tokens == nil) {
			t.Fatal("round trip changed the document")
		}
		if doc.Tokens != nil && (!again.Tokens.IDToken.Equal(doc.Tokens.IDToken) || !again.Tokens.AccessToken.Equal(doc.Tokens.AccessToken) ||
			!again.Tokens.RefreshToken.Equal(doc.Tokens.RefreshToken) || again.Tokens.AccountID != doc.Tokens.AccountID) {
			t.Fatal("round trip changed the tokens")
		}
	})
}

// FuzzDecodeClaims: never panics, and an error never quotes the token.
func FuzzDecodeClaims(f *testing.F) {
	for _, tc := range authCases {
		for _, s := range secretStrings(tc.data) {
			f.Add(s)
		}
	}
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.eyJleHAiOjF9.")
	f.Fuzz(func(t *testing.T, tok string) {
		_, err := DecodeClaims(NewSecret(tok))
		if err != nil && len(tok) >= 8 && strings.Contains(err.Error(), tok) {
			t.Fatalf("error quotes the token: %v", err)
		}
	})
}
