package cli

// The keychain mirror and Codex's keyring entry, against a real Secret
// Service (gnome-keyring in packaging/linux/test-session.sh), checked with
// secret-tool. secret-tool prints secrets: its output is parsed, never
// shown.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
)

// needSecretService skips the test without the throwaway Secret Service of
// test-session.sh, and fails it in CI.
func needSecretService(t *testing.T) {
	t.Helper()
	if os.Getenv("CODEXTRAY_TEST_SECRET_SERVICE") != "1" {
		t.Fatal("no test Secret Service: run the tests inside packaging/linux/test-session.sh (make test), which starts one and sets CODEXTRAY_TEST_SECRET_SERVICE=1")
	}
	if _, err := exec.LookPath("secret-tool"); err != nil {
		t.Fatal("secret-tool is missing (Debian: libsecret-tools)")
	}
}

// secretItems runs `secret-tool search --all` for attrs and returns each
// item's username attribute and label (secret-tool writes attributes to
// stderr and the rest to stdout).
func secretItems(t *testing.T, attrs ...string) (users, labels []string) {
	t.Helper()
	cmd := exec.Command("secret-tool", append([]string{"search", "--all"}, attrs...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil && out.Len() > 0 {
		t.Fatalf("secret-tool search: %v", err) // no match exits 1 with no output
	}
	for _, l := range strings.Split(errb.String(), "\n") {
		if v, ok := strings.CutPrefix(l, "attribute.username = "); ok {
			users = append(users, v)
		}
	}
	for _, l := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(l, "label = "); ok {
			labels = append(labels, v)
		}
	}
	return users, labels
}

// secretLookup is `secret-tool lookup` for attrs.
func secretLookup(t *testing.T, attrs ...string) (string, bool) {
	t.Helper()
	out, err := exec.Command("secret-tool", append([]string{"lookup"}, attrs...)...).Output()
	if err != nil {
		return "", false
	}
	return string(out), true
}

// clearSecrets removes every item matching attrs when the test ends.
func clearSecrets(t *testing.T, attrs ...string) {
	t.Cleanup(func() { _ = exec.Command("secret-tool", append([]string{"clear"}, attrs...)...).Run() })
}

func (e *interopEnv) mirror() *auth.Mirror {
	return &auth.Mirror{Keyring: auth.SystemKeyring{}, Home: e.home}
}

// writeLogin writes a valid ChatGPT login with refresh token rt (and the
// access token given, when not empty) and returns its bytes and secrets.
func (e *interopEnv) writeLogin(rt string, exp time.Time) ([]byte, *auth.Document, []string) {
	e.t.Helper()
	raw := authtest.Login{Expires: exp, RefreshToken: rt, AuthMode: "chatgpt"}.Document()
	if err := authtest.WriteAtomic(e.authPath(), raw); err != nil {
		e.t.Fatal(err)
	}
	doc, err := auth.ParseDocument(raw)
	if err != nil {
		e.t.Fatal(err)
	}
	return raw, doc, []string{doc.Tokens.IDToken.Reveal(), doc.Tokens.AccessToken.Reveal(), rt}
}

// TestInteropKeychainMirror: the mirror's entries appear in the Secret
// Service, status follows them, and `codextray restore` gives back a lost
// or unreadable auth.json that the real Codex accepts.
func TestInteropKeychainMirror(t *testing.T) {
	needSecretService(t)
	e := newInteropEnv(t)
	ctx := context.Background()
	user := auth.KeyringUser(e.home)
	clearSecrets(t, "service", auth.MirrorService, "username", auth.MirrorUser(e.home, "meta"))
	for _, p := range []string{"id_token", "access_token", "refresh_token", "api_key"} {
		clearSecrets(t, "service", auth.MirrorService, "username", auth.MirrorUser(e.home, p))
	}
	var secrets []string
	e.noTokens(func() []string { return secrets })
	exp := time.Now().Add(3 * time.Hour).Truncate(time.Second)
	_, doc1, s1 := e.writeLogin("rt_mirror_first_0001", exp)
	secrets = append(secrets, s1...)

	if st, _ := e.status(); st.Mirror != auth.MirrorAbsent {
		t.Errorf("mirror before any save: %q, want absent", st.Mirror)
	}
	if err := e.mirror().Save(ctx, doc1); err != nil {
		t.Fatalf("Mirror.Save: %v", err)
	}
	users, _ := secretItems(t, "service", auth.MirrorService)
	for _, p := range []string{"meta", "id_token", "access_token", "refresh_token"} {
		if !slices.Contains(users, user+"/"+p) {
			t.Errorf("no %s entry in the keychain (secret-tool found %d codextray entries)", p, len(users))
		}
	}
	if slices.Contains(users, user+"/api_key") {
		t.Errorf("an api_key entry exists for a login whose OPENAI_API_KEY is null")
	}
	if v, ok := secretLookup(t, "service", auth.MirrorService, "username", user+"/refresh_token"); !ok || v != "rt_mirror_first_0001" {
		t.Errorf("the refresh_token entry does not hold the refresh token")
	}
	if v, ok := secretLookup(t, "service", auth.MirrorService, "username", user+"/meta"); !ok || strings.Contains(v, "rt_mirror") || strings.Contains(v, doc1.Tokens.AccessToken.Reveal()) {
		t.Errorf("the meta entry is missing or holds a token")
	}
	if st, code := e.status(); code != ExitOK || st.Mirror != auth.MirrorInSync {
		t.Errorf("status after Save: exit %d mirror %q, want in_sync", code, st.Mirror)
	}

	// A change of auth.json: stale until saved again.
	raw2, doc2, s2 := e.writeLogin("rt_mirror_second_0002", exp.Add(time.Minute))
	secrets = append(secrets, s2...)
	if st, _ := e.status(); st.Mirror != auth.MirrorStale {
		t.Errorf("status after auth.json changed: mirror %q, want stale", st.Mirror)
	}
	if err := e.mirror().Save(ctx, doc2); err != nil {
		t.Fatalf("Mirror.Save: %v", err)
	}
	if st, _ := e.status(); st.Mirror != auth.MirrorInSync {
		t.Errorf("status after saving again: mirror %q, want in_sync", st.Mirror)
	}
	if v, _ := secretLookup(t, "service", auth.MirrorService, "username", user+"/refresh_token"); v != "rt_mirror_second_0002" {
		t.Errorf("the refresh_token entry did not follow the change")
	}

	// Restore refuses while a readable login exists.
	out, errs, code := runCodextray(t, e.env, "restore")
	e.record(out, errs)
	if code == ExitOK {
		t.Errorf("restore over a readable login: exit 0")
	}
	if got, _ := os.ReadFile(e.authPath()); !bytes.Equal(got, raw2) {
		t.Errorf("restore changed a readable auth.json")
	}

	// auth.json deleted: restore writes it back byte for byte.
	if err := os.Remove(e.authPath()); err != nil {
		t.Fatal(err)
	}
	out, errs, code = runCodextray(t, e.env, "restore")
	e.record(out, errs)
	if code != ExitOK {
		t.Fatalf("restore of a deleted auth.json: exit %d: %s", code, errs)
	}
	if got, err := os.ReadFile(e.authPath()); err != nil || !bytes.Equal(got, raw2) {
		t.Errorf("restored auth.json differs from the document mirrored (err %v)", err)
	}
	if fi, err := os.Stat(e.authPath()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("restored auth.json: not 0600 (stat: %v)", err)
	}
	e.mustCodex("", "login", "status")

	// Unreadable: moved aside, not deleted, and replaced.
	garbage := []byte(`{"OPENAI_API_KEY": null, "tokens": {`)
	if err := os.WriteFile(e.authPath(), garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, code = runCodextray(t, e.env, "restore")
	e.record(out, errs)
	if code != ExitOK {
		t.Fatalf("restore of an unreadable auth.json: exit %d: %s", code, errs)
	}
	if got, _ := os.ReadFile(e.authPath()); !bytes.Equal(got, raw2) {
		t.Errorf("auth.json after restoring over an unreadable file differs from the mirror")
	}
	aside, _ := filepath.Glob(e.authPath() + ".unreadable-*")
	if len(aside) != 1 {
		t.Fatalf("%d copies of the unreadable file kept aside, want 1", len(aside))
	}
	if got, _ := os.ReadFile(aside[0]); !bytes.Equal(got, garbage) {
		t.Errorf("the file kept aside is not the unreadable auth.json")
	}
	e.mustCodex("", "login", "status")
	if m, _ := filepath.Glob(filepath.Join(e.home, ".auth-*")); len(m) != 0 {
		t.Errorf("temp files left: %v", m)
	}
}

// TestKeychainMirrorLargeToken: a 4 KB token is stored and read back whole.
func TestKeychainMirrorLargeToken(t *testing.T) {
	needSecretService(t)
	e := newTestEnv(t)
	for _, p := range []string{"meta", "id_token", "access_token", "refresh_token", "api_key"} {
		clearSecrets(t, "service", auth.MirrorService, "username", auth.MirrorUser(e.home, p))
	}
	claims := authtest.Login{Expires: time.Now().Add(time.Hour)}.Claims()
	claims["padding"] = strings.Repeat("x", 4096)
	big := authtest.JWT(claims)
	var m map[string]any
	if err := json.Unmarshal(authtest.Login{Expires: time.Now().Add(time.Hour)}.Document(), &m); err != nil {
		t.Fatal(err)
	}
	m["tokens"].(map[string]any)["access_token"] = big
	raw, _ := json.MarshalIndent(m, "", "  ")
	doc, err := auth.ParseDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	e.noTokens(func() []string { return []string{big} })
	if len(big) < 4096 {
		t.Fatalf("token is %d bytes", len(big))
	}
	ctx := context.Background()
	if err := e.mirror().Save(ctx, doc); err != nil {
		t.Fatalf("Mirror.Save of a %d-byte token: %v", len(big), err)
	}
	got, _, err := e.mirror().Load(ctx)
	if err != nil {
		t.Fatalf("Mirror.Load: %v", err)
	}
	a, _ := got.Marshal()
	b, _ := doc.Marshal()
	if !bytes.Equal(a, b) || got.Tokens.AccessToken.Reveal() != big {
		t.Errorf("the %d-byte token did not round-trip", len(big))
	}
	if v, _ := secretLookup(t, "service", auth.MirrorService, "username", auth.MirrorUser(e.home, "access_token")); v != big {
		t.Errorf("secret-tool reads back %d bytes, want %d", len(v), len(big))
	}
}

// TestKeychainMirrorUnavailable: with no D-Bus session, status reports
// mirror: unavailable and still exits 0 for a valid login.
func TestKeychainMirrorUnavailable(t *testing.T) {
	e := newTestEnv(t)
	_, _, secrets := e.writeLogin("rt_no_dbus_0001", time.Now().Add(48*time.Hour))
	e.noTokens(func() []string { return secrets })
	out, errs, code := runCodextray(t, append(slices.Clone(e.env), noDBus...), "status", "--json")
	e.record(out, errs)
	var st auth.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v; stderr: %s", err, errs)
	}
	if code != ExitOK || st.Mirror != auth.MirrorUnavailable || st.State != auth.StateValid {
		t.Errorf("status without D-Bus: exit %d mirror %q state %q, want 0, unavailable, valid", code, st.Mirror, st.State)
	}
}

// TestInteropKeyringRefresh: Codex keeps a ChatGPT login in the Secret
// Service (cli_auth_credentials_store = "keyring"); `codextray refresh`
// updates that same item, and the real Codex still accepts it.
func TestInteropKeyringRefresh(t *testing.T) {
	needSecretService(t)
	e := newInteropEnv(t)
	const rt = "rt_keyring_original_0001"
	srv := authtest.NewTokenServer(t, rt)
	e.writeConfig("cli_auth_credentials_store = \"keyring\"\n" + srv.CodexConfig())
	user := auth.KeyringUser(e.home)
	clearSecrets(t, "service", auth.KeyringService, "username", user)
	for _, p := range []string{"meta", "id_token", "access_token", "refresh_token", "api_key"} {
		clearSecrets(t, "service", auth.MirrorService, "username", auth.MirrorUser(e.home, p))
	}
	raw := authtest.Login{Expires: time.Now().Add(2 * time.Minute).Truncate(time.Second), RefreshToken: rt}.Document()
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		t.Fatal(err)
	}
	old, _ := auth.ParseDocument(raw)
	e.noTokens(func() []string {
		return append(srv.Secrets(), old.Tokens.IDToken.Reveal(), old.Tokens.AccessToken.Reveal())
	})
	store := exec.Command("secret-tool", "store", "--label=x", "service", auth.KeyringService, "username", user, "target", "default", "application", "rust-keyring")
	store.Stdin = &compact
	if out, err := store.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v: %s", err, out)
	}
	e.mustCodex("", "login", "status")

	out, errs, code := runCodextray(t, append([]string{"CODEX_REFRESH_TOKEN_URL_OVERRIDE=" + srv.TokenURL()}, e.env...), "refresh")
	e.record(out, errs)
	if code != ExitOK {
		t.Fatalf("codextray refresh in keyring mode: exit %d: %s", code, errs)
	}
	if c := srv.Counts(); c.Issued != 1 || c.Reused != 0 {
		t.Errorf("token server: %v, want one refresh", c)
	}
	users, labels := secretItems(t, "service", auth.KeyringService, "username", user)
	if len(users) != 1 || len(labels) != 1 || labels[0] != "x" {
		t.Errorf("Codex's keychain items after the refresh: %d (labels %q), want the one item labelled x", len(users), labels)
	}
	v, ok := secretLookup(t, "service", auth.KeyringService, "username", user)
	if !ok {
		t.Fatal("Codex's keychain item is gone")
	}
	doc, err := auth.ParseDocument([]byte(v))
	if err != nil {
		t.Fatalf("Codex's keychain item is not a login after the refresh: %v", err)
	}
	if doc.Tokens.RefreshToken.Reveal() != srv.Current() || doc.Tokens.AccountID != authtest.AccountID || doc.LastRefresh == old.LastRefresh {
		t.Errorf("the item does not hold the refreshed login: new refresh token %v, account id kept %v, last_refresh changed %v",
			doc.Tokens.RefreshToken.Reveal() == srv.Current(), doc.Tokens.AccountID == authtest.AccountID, doc.LastRefresh != old.LastRefresh)
	}
	if strings.Contains(v, "\n") {
		t.Errorf("the item's secret is not compact JSON, as Codex writes it")
	}
	if _, err := os.Stat(e.authPath()); !os.IsNotExist(err) {
		t.Errorf("auth.json was written in keyring mode (stat: %v)", err)
	}
	e.mustCodex("", "login", "status")
	if st, code := e.status(); code != ExitOK || st.Source != "keyring" || !srv.IsIssued(st.ExpiresAt) {
		t.Errorf("status after the refresh: exit %d source %q, expiry issued by the server: %v", code, st.Source, srv.IsIssued(st.ExpiresAt))
	}
}
