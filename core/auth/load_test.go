package auth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/zalando/go-keyring"
)

// memKeyring is an in-memory keychain for the store-mode logic; the real
// Secret Service is exercised by the interop tests in core/cli.
type memKeyring struct {
	mu      sync.Mutex
	entries map[string]string
	down    bool
}

func (k *memKeyring) Get(_ context.Context, service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.down {
		return "", fmt.Errorf("%w: no secret service", ErrKeyringUnavailable)
	}
	v, ok := k.entries[service+"\x00"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (k *memKeyring) set(service, user, v string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.entries == nil {
		k.entries = map[string]string{}
	}
	k.entries[service+"\x00"+user] = v
}

func TestLoadStores(t *testing.T) {
	home := t.TempDir()
	writeConfig := func(store string) {
		must(t, os.WriteFile(filepath.Join(home, "config.toml"), []byte("# codex\ncli_auth_credentials_store = \""+store+"\"\n[features]\nx = true\n"), 0o600))
	}
	fileDoc := authtest.Login{Expires: time.Now().Add(72 * time.Hour)}.Document()
	must(t, os.WriteFile(filepath.Join(home, "auth.json"), fileDoc, 0o600))
	kr := &memKeyring{}
	l := &Loader{Home: home, Keyring: kr}
	ctx := context.Background()
	status := func() Status { return NewStatus(l.Load(ctx), StatusOptions{Now: time.Now()}) }

	if st := status(); st.Store != "file" || st.Source != "file" || st.Mode != "chatgpt" {
		t.Fatalf("default store: %+v", st)
	}
	writeConfig("keyring")
	if st := status(); st.Source != "none" || st.State != StateLoggedOut {
		t.Fatalf("keyring mode with an empty keyring must not read the file: %+v", st)
	}
	kr.set(KeyringService, KeyringUser(home), `{"auth_mode":"apikey","OPENAI_API_KEY":"sk-test-keyring-keyring"}`)
	if st := status(); st.Source != "keyring" || st.Mode != "apikey" || st.APIKey != "sk-test-***yring" {
		t.Fatalf("keyring mode: %+v", st)
	}
	writeConfig("auto")
	if st := status(); st.Source != "keyring" || st.Store != "auto" {
		t.Fatalf("auto prefers the keyring: %+v", st)
	}
	kr.down = true
	if st := status(); st.Source != "file" || st.Mode != "chatgpt" {
		t.Fatalf("auto falls back to the file without a keyring: %+v", st)
	}
	writeConfig("keyring")
	if st := status(); st.State != StateError || st.Source != "keyring" {
		t.Fatalf("keyring mode without a keyring is an error: %+v", st)
	}
	writeConfig("ephemeral")
	if st := status(); st.State != StateLoggedOut || st.Source != "none" {
		t.Fatalf("ephemeral: %+v", st)
	}
	writeConfig("bogus")
	if st := status(); st.State != StateError {
		t.Fatalf("bad store value: %+v", st)
	}
}

func TestKeyringUserMatchesCodex(t *testing.T) {
	// docs/real-codex.md: root's default ~/.codex hashes to cli|b30327ab8049b1db.
	if got := KeyringUser("/root/.codex"); got != "cli|b30327ab8049b1db" && isRealDir("/root/.codex") == "/root/.codex" {
		t.Errorf("KeyringUser(/root/.codex) = %s", got)
	}
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	must(t, os.Symlink(dir, link))
	for _, p := range []string{link, dir + "/", dir + "/./x/.."} {
		if KeyringUser(p) != KeyringUser(dir) {
			t.Errorf("KeyringUser(%s) differs from the real path's", p)
		}
	}
}

func isRealDir(p string) string {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return p // a missing dir hashes as written
	}
	return r
}

func TestWatchPollsKeyring(t *testing.T) {
	home := t.TempDir()
	must(t, os.WriteFile(filepath.Join(home, "config.toml"), []byte(`cli_auth_credentials_store = "keyring"`), 0o600))
	kr := &memKeyring{}
	w := NewWatcher(&Loader{Home: home, Keyring: kr})
	w.KeyringPoll = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	snaps := make(chan Snapshot)
	go func() { _ = w.Run(ctx, snaps) }()
	if s := <-snaps; s.Doc != nil {
		t.Fatal("expected logged out first")
	}
	kr.set(KeyringService, KeyringUser(home), string(authtest.APIKeyDocument("sk-test-keyring-keyring")))
	select {
	case s := <-snaps:
		if s.Source != SourceKeyring || s.Doc == nil {
			t.Fatalf("snapshot = %+v", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("keyring change not seen within 5 s")
	}
}
