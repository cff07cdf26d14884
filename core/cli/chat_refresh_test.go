package cli

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

// acceptIssued makes the fake backend accept exactly the access tokens the
// token server issued: the backend knows every token sign-in hands out.
func acceptIssued(srv *pt.Server, ts *authtest.TokenServer) {
	srv.AcceptTokens(func(tok string) bool { return slices.Contains(ts.Secrets(), tok) })
}

func refreshEnv(t *testing.T, doc []byte) (*pt.Server, *authtest.TokenServer, []string, string) {
	t.Helper()
	srv, env, _ := backendEnv(t, doc)
	ts := authtest.NewTokenServer(t, "rt_fake_refresh_token_0001")
	env = append(env, "CODEX_REFRESH_TOKEN_URL_OVERRIDE="+ts.TokenURL()) // the later value wins
	home := strings.TrimPrefix(env[0], "CODEX_HOME=")
	return srv, ts, env, home
}

func TestChatRefreshesAnExpiringToken(t *testing.T) {
	srv, ts, env, home := refreshEnv(t, authtest.Login{Expires: time.Now().Add(2 * time.Minute)}.Document())
	acceptIssued(srv, ts)
	srv.Enqueue(pt.Reply{Chunks: []string{string(pt.Fixture(t, "cli_responses_fixture.sse"))}})
	out, errOut, code := runCodextray(t, env, "chat", "--model", "gpt-5.5", "hi")
	if code != 0 || out != "fixture hello\n" {
		t.Fatalf("exit %d, out %q, stderr %s; token server: %s", code, out, errOut, ts.Counts())
	}
	if c := ts.Counts(); c.Calls != 1 || c.Reused != 0 {
		t.Fatalf("token server: %s", c)
	}
	doc, err := auth.ReadAuthFile(filepath.Join(home, "auth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Tokens.RefreshToken.Reveal() != ts.Current() {
		t.Error("auth.json does not hold the rotated refresh token")
	}
	for _, s := range ts.Secrets() {
		if strings.Contains(out+errOut, s) {
			t.Fatal("a token was printed")
		}
	}
}

func TestChatRefreshesAfter401(t *testing.T) {
	srv, ts, env, _ := refreshEnv(t, authtest.Login{Expires: time.Now().Add(time.Hour)}.Document())
	acceptIssued(srv, ts) // the login's token is no longer accepted
	srv.Enqueue(pt.Reply{Chunks: []string{string(pt.Fixture(t, "cli_responses_fixture.sse"))}})
	out, errOut, code := runCodextray(t, env, "chat", "--model", "gpt-5.5", "hi")
	if code != 0 || out != "fixture hello\n" {
		t.Fatalf("exit %d, out %q, stderr %s; token server: %s", code, out, errOut, ts.Counts())
	}
	if c := ts.Counts(); c.Calls != 1 {
		t.Fatalf("token server: %s", c)
	}
	if n := len(srv.RequestsTo("/codex/responses")); n < 1 {
		t.Errorf("no request reached the backend")
	}
}

func TestChatPermanentRefreshFailureNeedsLogin(t *testing.T) {
	srv, ts, env, _ := refreshEnv(t, authtest.Login{Expires: time.Now().Add(time.Hour)}.Document())
	acceptIssued(srv, ts)
	ts.SetFailure(authtest.FailReused)
	srv.Enqueue(pt.Reply{Chunks: []string{"unused"}})
	_, errOut, code := runCodextray(t, env, "chat", "--model", "gpt-5.5", "hi")
	if code != ExitLoginNeeded || !strings.Contains(errOut, "already used") {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	// The failure is remembered for this login: status says relogin_required.
	out, _, code := runCodextray(t, env, "status", "--json")
	if code != ExitLoginNeeded || !strings.Contains(out, `"state":"relogin_required"`) {
		t.Fatalf("status after a permanent failure: exit %d %s", code, out)
	}
}
