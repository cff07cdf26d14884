package appserver

import (
	"context"
	"testing"
	"time"

	"github.com/codextray/codextray/internal/codexfake"
)

// A code nobody enters: should Codex keep polling past the code's
// lifetime, Codex Tray ends the sign-in, says the code expired, and leaves
// no app-server behind.
func TestSignInEndsWhenTheCodeExpires(t *testing.T) {
	codex := codexfake.RealCodex(t)
	ca, err := codexfake.NewCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fake := codexfake.NewOpenAI()
	p := codexfake.StartProxy(t, ca, fake, codexfake.AuthHost, codexfake.ChatGPTHost)
	u := codexfake.NewUser(t, p)
	codeLifetime, expiryGrace = 2*time.Second, 0
	t.Cleanup(func() { codeLifetime, expiryGrace = CodeLifetime, 30*time.Second })

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := StartSignIn(ctx, Options{Codex: codex, Env: u.Env, ClientVersion: "test"}, DeviceCode)
	if err != nil {
		t.Fatal(err)
	}
	pid := s.PID()
	select {
	case <-fake.Polled(): // Codex is polling a code nobody enters
	case <-time.After(30 * time.Second):
		t.Fatal("Codex never polled")
	}
	if _, err := s.Result(); KindOf(err) != KindExpired {
		t.Fatalf("err = %v, want the code expired", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for codexfake.Alive(pid) || len(codexfake.Descendants(pid)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("app-server (pid %d) outlived the expired sign-in", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
