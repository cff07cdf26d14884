package packaging

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

// winStatus runs `status --json` and decodes it.
func (s *winSession) status() (auth.Status, string, int) {
	s.t.Helper()
	out, errs, code := s.codextray("status", "--json")
	var st auth.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		s.t.Fatalf("status --json (exit %d): %v\nstdout: %s\nstderr: %s", code, err, out, errs)
	}
	return st, out + errs, code
}

func (s *winSession) writeAuth(data []byte) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.homeUnix, "auth.json"), data, 0o600); err != nil {
		s.t.Fatal(err)
	}
}

func (s *winSession) readAuth() *auth.Document {
	s.t.Helper()
	doc, err := auth.ReadAuthFile(filepath.Join(s.homeUnix, "auth.json"))
	if err != nil {
		s.t.Fatal(err)
	}
	return doc
}

// noSecrets fails the test if out shows any of secrets.
func noSecrets(t *testing.T, what, out string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(out, sec) {
			t.Errorf("%s printed a secret", what)
		}
	}
}

func tokenSecrets(doc *auth.Document) []string {
	if doc == nil || doc.Tokens == nil {
		return nil
	}
	return []string{doc.Tokens.IDToken.Reveal(), doc.Tokens.AccessToken.Reveal(), doc.Tokens.RefreshToken.Reveal()}
}

func TestWineVersion(t *testing.T) {
	w := useWine(t)
	s := w.session(t)
	version, _ := appVersion(t)
	out, errs, code := s.codextray("version")
	if code != 0 || !strings.HasPrefix(out, "codextray "+version+" (commit ") || strings.Contains(out, "commit unknown") {
		t.Errorf("version: exit %d, %q %q", code, out, errs)
	}
}

// TestWineStatus: `status --json` with a Windows CODEX_HOME for a ChatGPT
// login, an API-key login and no login. The Wine Credential Manager
// answers, so the mirror is "absent" (nothing saved yet), not
// "unavailable".
func TestWineStatus(t *testing.T) {
	w := useWine(t)
	t.Run("chatgpt", func(t *testing.T) {
		s := w.session(t)
		raw := authtest.Login{Expires: time.Now().Add(48 * time.Hour).Truncate(time.Second), RefreshToken: "rt_wine_status_0001"}.Document()
		s.writeAuth(raw)
		st, out, code := s.status()
		if code != 0 || st.CodexHome != s.home || st.Mode != "chatgpt" || st.State != auth.StateValid ||
			st.Email != authtest.Email || st.AccountID != authtest.AccountID || st.Source != "file" || st.Mirror != auth.MirrorAbsent {
			t.Errorf("exit %d, status %+v", code, st)
		}
		if st.ExpiresInSeconds == nil || *st.ExpiresInSeconds < 47*3600 {
			t.Errorf("expires_in_seconds %v", st.ExpiresInSeconds)
		}
		noSecrets(t, "status --json", out, tokenSecrets(s.readAuth())...)
	})
	t.Run("apikey", func(t *testing.T) {
		s := w.session(t)
		const key = "sk-proj-winetest0123456789abcdefXYZ"
		s.writeAuth(authtest.APIKeyDocument(key))
		st, out, code := s.status()
		if code != 0 || st.CodexHome != s.home || st.Mode != "apikey" || st.State != auth.StateAPIKey || st.APIKey != "sk-proj-***efXYZ" {
			t.Errorf("exit %d, status %+v", code, st)
		}
		noSecrets(t, "status --json", out, key)
	})
	t.Run("none", func(t *testing.T) {
		s := w.session(t)
		st, _, code := s.status()
		if code != 3 || st.CodexHome != s.home || st.Mode != "none" || st.State != auth.StateLoggedOut {
			t.Errorf("exit %d, status %+v", code, st)
		}
	})
}

// TestWineRefreshRace: two `codextray refresh` at once on a login about
// to expire: Codex's locks (LockFileEx under Windows) let exactly one POST
// the refresh token; the other adopts its login. auth.json is replaced
// through the Windows rename, and the mirror follows. The helper holds
// auth.lock until both have read the login and wait at the lock, so that
// they truly race.
func TestWineRefreshRace(t *testing.T) {
	w := useWine(t)
	const rt = "rt_wine_race_0001"
	srv := authtest.NewTokenServer(t, rt)
	srv.TTL = 72 * time.Hour // valid, not expiring, after the refresh
	s := w.session(t, "CODEX_REFRESH_TOKEN_URL_OVERRIDE="+srv.TokenURL())
	s.writeAuth(authtest.Login{Expires: time.Now().Add(2 * time.Minute).Truncate(time.Second), RefreshToken: rt}.Document())
	old := s.readAuth()

	release := s.holdLocks(false, "auth.lock")
	opened := openings(t, filepath.Join(s.homeUnix, "auth.lock"))
	type result struct {
		out, errs string
		code      int
	}
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Go(func() {
			r := &results[i]
			r.out, r.errs, r.code = s.codextray("refresh")
		})
	}
	for range results {
		select {
		case <-opened:
		case <-time.After(90 * time.Second):
			release()
			wg.Wait()
			t.Fatalf("the refreshes did not both reach auth.lock within 90 s: %+v", results)
		}
	}
	release()
	wg.Wait()
	secrets := append(srv.Secrets(), tokenSecrets(old)...)
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("refresh %d: exit %d\n%s%s", i+1, r.code, r.out, r.errs)
		}
		noSecrets(t, "refresh", r.out+r.errs, secrets...)
	}
	if c := srv.Counts(); c.Calls != 1 || c.Issued != 1 || c.Reused != 0 || c.Unknown != 0 {
		t.Errorf("token server: %s, want one refresh and no reuse", c)
	}
	refreshed := results[0].out + results[1].out
	if !strings.Contains(refreshed, "Refreshed") || !strings.Contains(refreshed, "Another program refreshed the login just now") {
		t.Errorf("outputs %q / %q: want one refresh and one adoption", results[0].out, results[1].out)
	}
	doc := s.readAuth()
	if doc.Tokens.RefreshToken.Reveal() != srv.Current() || !srv.IsIssued(auth.AccessExpiry(doc).UTC().Format(time.RFC3339)) {
		t.Error("auth.json does not hold the refreshed login")
	}
	if left, _ := filepath.Glob(filepath.Join(s.homeUnix, ".auth-*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	st, out, code := s.status()
	if code != 0 || st.State != auth.StateValid || st.Mirror != auth.MirrorInSync {
		t.Errorf("status after refresh: exit %d, state %s, mirror %s", code, st.State, st.Mirror)
	}
	noSecrets(t, "status --json", out, append(secrets, tokenSecrets(doc)...)...)
}

// TestWineRestore: a login with a 4 KB id_token goes into the Credential
// Manager in pieces of at most 2,560 bytes (at the refresh), and `restore`
// gives it back whole after auth.json is lost.
func TestWineRestore(t *testing.T) {
	w := useWine(t)
	const rt = "rt_wine_restore_0001"
	srv := authtest.NewTokenServer(t, rt)
	srv.OmitIDToken = true // the refresh keeps the 4 KB id_token
	srv.TTL = 72 * time.Hour
	s := w.session(t, "CODEX_REFRESH_TOKEN_URL_OVERRIDE="+srv.TokenURL())
	login := authtest.Login{Expires: time.Now().Add(time.Minute).Truncate(time.Second), RefreshToken: rt}
	var m map[string]any
	if err := json.Unmarshal(login.Document(), &m); err != nil {
		t.Fatal(err)
	}
	claims := login.Claims()
	claims["padding"] = strings.Repeat("x", 2900)
	big := authtest.JWT(claims)
	if len(big) < 4096 || len(big) > 2*auth.CredentialBlobMax {
		t.Fatalf("the id_token is %d bytes, want 4 KB", len(big))
	}
	m["tokens"].(map[string]any)["id_token"] = big
	raw, _ := json.MarshalIndent(m, "", "  ")
	s.writeAuth(raw)

	if out, errs, code := s.codextray("refresh"); code != 0 {
		t.Fatalf("refresh: exit %d\n%s%s", code, out, errs)
	}
	saved, err := os.ReadFile(filepath.Join(s.homeUnix, "auth.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc := s.readAuth()
	if doc.Tokens.IDToken.Reveal() != big {
		t.Fatal("the refresh lost the 4 KB id_token")
	}
	if st, _, _ := s.status(); st.Mirror != auth.MirrorInSync {
		t.Fatalf("mirror %s after the refresh, want in_sync", st.Mirror)
	}
	// The id_token's entries, read back through the Credential Manager.
	user := auth.MirrorUser(s.home, "id_token")
	out, errs, code := s.run(w.helper, "keychain", "sizes", user, user+"#2", user+"#3")
	sizes := strings.Fields(out) // two pieces, no third
	if code != 0 || len(sizes) != 3 || sizes[2] != "absent" {
		t.Fatalf("helper keychain sizes: exit %d %q %s", code, out, errs)
	}
	total := 0
	for _, f := range sizes[:2] {
		n, err := strconv.Atoi(f)
		if err != nil || n > auth.CredentialBlobMax {
			t.Errorf("an entry of %s bytes (limit %d)", f, auth.CredentialBlobMax)
		}
		total += n
	}
	if total != len(big) {
		t.Errorf("entries hold %d bytes, the id_token is %d", total, len(big))
	}

	if err := os.Remove(filepath.Join(s.homeUnix, "auth.json")); err != nil {
		t.Fatal(err)
	}
	if st, _, code := s.status(); code != 3 || st.State != auth.StateLoggedOut {
		t.Fatalf("without auth.json: exit %d state %s", code, st.State)
	}
	out, errs, code = s.codextray("restore")
	if code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errs)
	}
	noSecrets(t, "restore", out+errs, append(tokenSecrets(doc), srv.Secrets()...)...)
	restored, err := os.ReadFile(filepath.Join(s.homeUnix, "auth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(restored, saved) {
		t.Error("restore did not give back the login byte for byte")
	}
	if st, _, code := s.status(); code != 0 || st.State != auth.StateValid || st.Mirror != auth.MirrorInSync {
		t.Errorf("after restore: exit %d state %s mirror %s", code, st.State, st.Mirror)
	}
}

// TestWineChatHistory: `chat --json` streams from the fake backend and
// `history list` finds the conversation in %APPDATA%.
func TestWineChatHistory(t *testing.T) {
	w := useWine(t)
	raw := authtest.Login{Expires: time.Now().Add(time.Hour)}.Document()
	doc, err := auth.ParseDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	srv := pt.New(t, doc.Tokens.AccessToken.Reveal())
	srv.ExpectAccountID(authtest.AccountID)
	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("Hello from Wine.", pt.Usage{Input: 12, Output: 4})}})
	ts := authtest.NewTokenServer(t, "rt_fake_refresh_token_0001") // nothing may reach OpenAI
	s := w.session(t, "CODEXTRAY_CHATGPT_BASE_URL="+srv.ChatGPTBaseURL, "CODEXTRAY_OPENAI_BASE_URL="+srv.OpenAIBaseURL,
		"CODEX_REFRESH_TOKEN_URL_OVERRIDE="+ts.TokenURL())
	s.writeAuth(raw)

	out, errs, code := s.codextray("chat", "--json", "--model", "gpt-5.5", "Say hello")
	if code != 0 {
		t.Fatalf("chat: exit %d\n%s%s", code, out, errs)
	}
	noSecrets(t, "chat", out+errs, tokenSecrets(doc)...)
	var text string
	var last map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		if l["type"] == "text" {
			text += l["delta"].(string)
		}
		last = l
	}
	if text != "Hello from Wine." || last["type"] != "done" {
		t.Errorf("chat --json: text %q, last %v", text, last)
	}
	if n := len(srv.RequestsTo("/codex/responses")); n != 1 {
		t.Errorf("%d requests to /codex/responses", n)
	}

	out, errs, code = s.codextray("history", "list", "--json")
	var convs []struct {
		Title    string `json:"title"`
		Messages int    `json:"messages"`
	}
	if err := json.Unmarshal([]byte(out), &convs); err != nil || code != 0 {
		t.Fatalf("history list --json: exit %d %v\n%s%s", code, err, out, errs)
	}
	if len(convs) != 1 || convs[0].Messages != 2 || !strings.Contains(convs[0].Title, "Say hello") {
		t.Errorf("history list: %+v", convs)
	}
	_, profile := w.winUser()
	if dbs, _ := filepath.Glob(filepath.Join(profile, "AppData", "Roaming", "fyne", appID, "*")); len(dbs) == 0 {
		t.Errorf("nothing in %%APPDATA%%\\fyne\\%s", appID)
	}
}
