package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
)

// runInProcess runs codextray's command line in this process.
func runInProcess(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, FyneAppTOML: []byte("[Details]\nVersion = \"1.2.3\"\n")})
	return out.String(), errb.String(), code
}

func TestStatusJSONForEachKindOfHome(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	soon := time.Now().Add(2 * time.Hour)
	cases := []struct {
		name   string
		setup  func(home string)
		state  auth.State
		source string
		code   int
	}{
		{"valid", writeAuth(authtest.Login{Expires: time.Now().Add(72 * time.Hour)}.Document()), auth.StateValid, "file", 0},
		{"expiring", writeAuth(authtest.Login{Expires: soon}.Document()), auth.StateExpiring, "file", 0},
		{"expired", writeAuth(authtest.Login{Expires: time.Now().Add(-time.Hour)}.Document()), auth.StateExpired, "file", 0},
		{"api key", writeAuth(authtest.APIKeyDocument("sk-test-nontmp-12345")), auth.StateAPIKey, "file", 0},
		{"logged out", func(string) {}, auth.StateLoggedOut, "none", 3},
		{"missing home", func(home string) { must(t, os.RemoveAll(home)) }, auth.StateLoggedOut, "none", 3},
		{"half-written", writeAuth([]byte(`{"OPENAI_API_KEY": null, "tokens": {`)), auth.StateError, "file", 1},
		{"empty", writeAuth(nil), auth.StateError, "file", 1},
		{"unknown shape", writeAuth([]byte(`{"foo":1}`)), auth.StateError, "file", 1},
		{"bad config", func(home string) {
			must(t, os.WriteFile(filepath.Join(home, "config.toml"), []byte("cli_auth_credentials_store = [oops"), 0o600))
		}, auth.StateError, "none", 1},
		{"ephemeral", func(home string) {
			writeAuth(authtest.APIKeyDocument("sk-test-nontmp-12345"))(home)
			must(t, os.WriteFile(filepath.Join(home, "config.toml"), []byte(`cli_auth_credentials_store = "ephemeral"`), 0o600))
		}, auth.StateLoggedOut, "none", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "codex")
			must(t, os.Mkdir(home, 0o700))
			tc.setup(home)
			t.Setenv("CODEX_HOME", home)
			out, errOut, code := runInProcess(t, "status", "--json")
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stderr %q", code, tc.code, errOut)
			}
			var st map[string]any
			if err := json.Unmarshal([]byte(out), &st); err != nil || strings.Count(out, "\n") != 1 {
				t.Fatalf("not one JSON object on one line: %q", out)
			}
			if st["state"] != string(tc.state) || st["source"] != tc.source || st["codex_home"] != home {
				t.Errorf("status = %s", out)
			}
			if st["message"] == "" || st["mirror"] == "" {
				t.Errorf("message or mirror missing: %s", out)
			}
			if tc.state == auth.StateError && st["error"] == "" {
				t.Errorf("error state without error: %s", out)
			}
			if tc.name == "expiring" {
				left := st["expires_in_seconds"].(float64)
				if left < 7000 || left > 7200 {
					t.Errorf("expires_in_seconds = %v", left)
				}
				if st["expires_at"] != soon.UTC().Format(time.RFC3339) {
					t.Errorf("expires_at = %v", st["expires_at"])
				}
			}
			if strings.Contains(out, "rt_fake") || strings.Contains(out, "sk-test-nontmp-12345") || strings.Contains(out, "eyJ") {
				t.Errorf("status shows a token: %s", out)
			}
		})
	}
}

func TestStatusPlainText(t *testing.T) {
	home := t.TempDir()
	t.Setenv("CODEX_HOME", home)
	writeAuth(authtest.Login{Expires: time.Now().Add(3*time.Hour + 30*time.Minute)}.Document())(home)
	out, _, code := runInProcess(t, "status")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	first := strings.SplitN(out, "\n", 2)[0]
	if !strings.HasPrefix(first, "Signed in as probe@example.com (Plus) · token expires in 3 h 29 min") &&
		!strings.HasPrefix(first, "Signed in as probe@example.com (Plus) · token expires in 3 h 30 min") {
		t.Errorf("first line %q", first)
	}
	for _, want := range []string{"Account ", "probe@example.com", "Plan ", "Plus", "Expires ", "Codex home ", home, "Store ", "file, read from the file", "Keychain mirror"} {
		if !strings.Contains(out, want) {
			t.Errorf("plain status lacks %q:\n%s", want, out)
		}
	}
}

func TestStatusWatchFollowsTime(t *testing.T) {
	home := t.TempDir()
	// A token that expires in about 3 s: expiring now, expired a moment later,
	// with no change on disk; the watch must notice time passing.
	writeAuth(authtest.Login{Expires: time.Now().Add(2 * time.Second).Truncate(time.Second).Add(time.Second)}.Document())(home)
	w := startStatusWatch(t, []string{"CODEX_HOME=" + home, "HOME=" + t.TempDir()})
	w.next(5*time.Second, func(st auth.Status) bool { return st.State == auth.StateExpiring })
	w.next(5*time.Second, func(st auth.Status) bool { return st.State == auth.StateExpired })
}

func TestUsageAndVersion(t *testing.T) {
	if _, errOut, code := runInProcess(t, "frobnicate"); code != ExitUsage || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if _, _, code := runInProcess(t, "status", "--bogus"); code != ExitUsage {
		t.Errorf("bad flag: exit %d", code)
	}
	if _, _, code := runInProcess(t, "status", "extra"); code != ExitUsage {
		t.Errorf("extra argument: exit %d", code)
	}
	out, _, code := runInProcess(t, "version")
	if code != 0 || !strings.HasPrefix(out, "codextray 1.2.3 (commit ") {
		t.Errorf("version: %d %q", code, out)
	}
	if IsCommand(nil) || IsCommand([]string{"--open", "chat"}) || IsCommand([]string{"--open=status"}) ||
		IsCommand([]string{"-open=chat"}) || IsCommand([]string{"-open", "chat"}) || !IsCommand([]string{"status"}) {
		t.Error("IsCommand misclassifies")
	}
}

func writeAuth(data []byte) func(home string) {
	return func(home string) {
		if err := os.WriteFile(filepath.Join(home, "auth.json"), data, 0o600); err != nil {
			panic(err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
