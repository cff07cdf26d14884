package auth

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zalando/go-keyring"

	"github.com/codextray/codextray/core/auth/authtest"
)

// TestSplitSecretCredentialManager: a 4 KB token is cut into pieces that
// each fit the Windows Credential Manager's 2,560-byte limit and join back
// into the token.
func TestSplitSecretCredentialManager(t *testing.T) {
	claims := authtest.Login{Expires: time.Now().Add(time.Hour)}.Claims()
	claims["padding"] = strings.Repeat("x", 4096)
	token := authtest.JWT(claims)
	if len(token) < 4096 {
		t.Fatalf("token is %d bytes", len(token))
	}
	pieces := SplitSecret(token, CredentialBlobMax)
	if len(pieces) != (len(token)+CredentialBlobMax-1)/CredentialBlobMax {
		t.Errorf("%d bytes in %d pieces", len(token), len(pieces))
	}
	for i, p := range pieces {
		if len(p) > CredentialBlobMax || len(p) == 0 {
			t.Errorf("piece %d is %d bytes", i+1, len(p))
		}
	}
	if strings.Join(pieces, "") != token {
		t.Error("the pieces do not join back into the token")
	}
}

func TestSplitSecretEdges(t *testing.T) {
	for _, c := range []struct {
		v    string
		max  int
		want []string
	}{
		{"", 4, []string{""}},
		{"abcd", 4, []string{"abcd"}},
		{"abcde", 4, []string{"abcd", "e"}},
		{"abcdefgh", 4, []string{"abcd", "efgh"}},
		{"abcde", 0, []string{"abcde"}},             // no limit
		{"aé€😀b", 4, []string{"aé", "€", "😀", "b"}}, // never inside a character
	} {
		got := SplitSecret(c.v, c.max)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("SplitSecret(%q, %d) = %q, want %q", c.v, c.max, got, c.want)
		}
		for _, p := range got {
			if !utf8.ValidString(p) {
				t.Errorf("SplitSecret(%q, %d): piece %q is not UTF-8", c.v, c.max, p)
			}
		}
	}
}

// credentialManager is a keychain with the Credential Manager's limit, as
// go-keyring enforces it on Windows.
type credentialManager struct {
	mu      sync.Mutex
	entries map[string]string
}

func (k *credentialManager) Get(_ context.Context, service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.entries[service+":"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (k *credentialManager) Set(_ context.Context, service, user, value string) error {
	if len(value) > CredentialBlobMax {
		return keyring.ErrSetDataTooBig
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.entries[service+":"+user] = value
	return nil
}

func (k *credentialManager) Delete(_ context.Context, service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.entries[service+":"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.entries, service+":"+user)
	return nil
}

// TestMirrorLargeTokenCredentialManager: with the Credential Manager's
// limit, a login with a 4 KB access token is mirrored in pieces, read back
// whole, and a later, shorter token leaves no stale piece behind.
func TestMirrorLargeTokenCredentialManager(t *testing.T) {
	old := keychainEntryMax
	keychainEntryMax = CredentialBlobMax
	t.Cleanup(func() { keychainEntryMax = old })

	kc := &credentialManager{entries: map[string]string{}}
	home := t.TempDir()
	m := &Mirror{Keyring: kc, Home: home}
	ctx := context.Background()

	claims := authtest.Login{Expires: time.Now().Add(time.Hour)}.Claims()
	claims["padding"] = strings.Repeat("x", 4096)
	big := authtest.JWT(claims)
	doc := withAccessToken(t, big)
	if err := m.Save(ctx, doc); err != nil {
		t.Fatalf("Save with a %d-byte token: %v", len(big), err)
	}
	for user, v := range kc.entries {
		if len(v) > CredentialBlobMax {
			t.Errorf("entry %s is %d bytes", user, len(v))
		}
	}
	if _, ok := kc.entries[MirrorService+":"+MirrorUser(home, "access_token")+"#2"]; !ok {
		t.Errorf("no second piece of the access token; entries: %d", len(kc.entries))
	}
	got, _, err := m.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got.Tokens.AccessToken.Reveal() != big || documentHash(got) != documentHash(doc) {
		t.Error("the 4 KB token did not come back whole")
	}
	if s := ProbeMirror(ctx, kc, Snapshot{Home: home, Doc: doc}); s != MirrorInSync {
		t.Errorf("ProbeMirror = %s", s)
	}

	small := withAccessToken(t, authtest.JWT(authtest.Login{Expires: time.Now().Add(2 * time.Hour)}.Claims()))
	if err := m.Save(ctx, small); err != nil {
		t.Fatal(err)
	}
	for user := range kc.entries {
		if strings.Contains(user, "#") {
			t.Errorf("stale piece %s left", user)
		}
	}
	if got, _, err := m.Load(ctx); err != nil || documentHash(got) != documentHash(small) {
		t.Errorf("Load after a shorter token: %v", err)
	}
}

func withAccessToken(t *testing.T, token string) *Document {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(authtest.Login{Expires: time.Now().Add(time.Hour)}.Document(), &m); err != nil {
		t.Fatal(err)
	}
	m["tokens"].(map[string]any)["access_token"] = token
	raw, _ := json.MarshalIndent(m, "", "  ")
	doc, err := ParseDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
