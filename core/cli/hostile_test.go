package cli

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	pt "github.com/codextray/codextray/core/provider/providertest"
)

// filesHolding lists the files under dirs whose bytes contain secret.
func filesHolding(t *testing.T, secret string, dirs ...string) []string {
	t.Helper()
	var found []string
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), secret) {
				found = append(found, path)
			}
			return nil
		})
	}
	return found
}

// A backend that echoes the bearer token in its errors does not get it
// printed (chat --json, plain chat's stderr) or stored (the history).
func TestChatEchoedTokenIsNeitherPrintedNorStored(t *testing.T) {
	srv, env, token := backendEnv(t, chatgptLogin())
	data := t.TempDir()
	env = append(env, "XDG_DATA_HOME="+data)
	echo := "invalid header Authorization: Bearer " + token + " (token " + token + ")"
	srv.Enqueue(
		pt.Reply{Chunks: []string{pt.SSE(pt.Created("r"), pt.TextDelta("partial "), pt.Failed("", echo, nil))}},
		pt.Reply{Status: http.StatusBadRequest, Body: `{"error":{"message":"` + echo + `","type":"invalid_request_error"}}`},
	)
	out, errOut, code := runCodextray(t, env, "chat", "--json", "--model", "gpt-5.5", "hi")
	if code != ExitFailure || !strings.Contains(out, `"type":"error"`) {
		t.Fatalf("chat --json: exit %d, out %s", code, out)
	}
	out2, errOut2, code := runCodextray(t, env, "chat", "--model", "gpt-5.5", "hi")
	if code != ExitFailure || !strings.Contains(errOut2, "rejected") {
		t.Fatalf("chat: exit %d, stderr %s", code, errOut2)
	}
	for name, text := range map[string]string{"chat --json stdout": out, "chat --json stderr": errOut, "chat stdout": out2, "chat stderr": errOut2} {
		if strings.Contains(text, token) {
			t.Errorf("%s holds the access token", name)
		}
	}
	if _, err := os.Stat(historyPath(env)); err != nil {
		t.Fatalf("no history was written: %v", err)
	}
	if files := filesHolding(t, token, data, envValue(env, "XDG_CONFIG_HOME")); len(files) != 0 {
		t.Errorf("the access token was stored in %v", files)
	}
}

// `chat -` refuses a prompt longer than it reads instead of sending the
// first 16 MiB of it.
func TestChatStdinOverCapIsRefused(t *testing.T) {
	srv, env, _ := backendEnv(t, chatgptLogin())
	srv.SetFallback(pt.Reply{Chunks: []string{pt.Stream("ok", pt.Usage{})}})
	cmd := codextrayCmd(t, env, "chat", "--no-history", "--model", "gpt-5.5", "-")
	cmd.Stdin = strings.NewReader(strings.Repeat("a", 16<<20+1))
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err == nil || cmd.ProcessState.ExitCode() != ExitUsage || !strings.Contains(errb.String(), "longer than 16 MiB") {
		t.Fatalf("exit %v, stderr %q", err, errb.String())
	}
	if n := len(srv.RequestsTo("/responses")); n != 0 {
		t.Errorf("%d turns were sent", n)
	}
}

// An answer carrying terminal control sequences reaches a plain `chat`'s
// stdout without them: it cannot retitle the window, recolour or rewrite
// the screen.
func TestChatPlainDropsControlCharacters(t *testing.T) {
	srv, env, _ := backendEnv(t, chatgptLogin())
	srv.Enqueue(pt.Reply{Chunks: []string{pt.SSE(pt.Created("r"),
		pt.TextDelta("\x1b]0;owned\x07safe \x1b[2J\x1b[31mred\x1b[0m\r\n\x9b1mline\ttab\n"),
		pt.Completed("r", pt.Usage{}))}})
	out, errOut, code := runCodextray(t, env, "chat", "--no-history", "--model", "gpt-5.5", "hi")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if strings.ContainsAny(out, "\x1b\x07\r\u009b") {
		t.Errorf("control characters reached stdout: %q", out)
	}
	if want := "]0;ownedsafe [2J[31mred[0m\n1mline\ttab\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
}

// runWithin runs codextray, killing it (and failing) if it has not ended
// within limit.
func runWithin(t *testing.T, limit time.Duration, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := codextrayCmd(t, env, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("codextray %v was still running after %v", args, limit)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// A FIFO planted at auth.json, config.toml or an image is refused at once
// with a sentence naming it; nothing waits for a writer.
func TestSpecialFilesAreRefusedAtOnce(t *testing.T) {
	for _, name := range []string{"auth.json", "config.toml"} {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			if name != "auth.json" {
				if err := os.WriteFile(filepath.Join(home, "auth.json"), chatgptLogin(), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := syscall.Mkfifo(filepath.Join(home, name), 0o600); err != nil {
				t.Fatal(err)
			}
			env := []string{"CODEX_HOME=" + home, "XDG_CONFIG_HOME=" + t.TempDir(), "XDG_CACHE_HOME=" + t.TempDir()}
			out, errOut, code := runWithin(t, 10*time.Second, env, "status")
			if code == ExitOK || !strings.Contains(out+errOut, name+" is not a regular file") {
				t.Fatalf("status: exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
	t.Run("image", func(t *testing.T) {
		_, env, _ := backendEnv(t, chatgptLogin())
		img := filepath.Join(t.TempDir(), "cat.png")
		if err := syscall.Mkfifo(img, 0o600); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := runWithin(t, 10*time.Second, env, "chat", "--no-history", "--model", "gpt-5.5", "--image", img, "hi")
		if code != ExitUsage || !strings.Contains(errOut, "not a regular file") {
			t.Fatalf("chat --image FIFO: exit %d, stderr %q", code, errOut)
		}
	})
}

// status warns, on stderr, about an auth.json other users can read; the
// JSON object stays as it is.
func TestStatusWarnsAboutAnOpenAuthFile(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, "auth.json")
	if err := os.WriteFile(path, chatgptLogin(), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"CODEX_HOME=" + home, "XDG_CONFIG_HOME=" + t.TempDir(), "XDG_CACHE_HOME=" + t.TempDir()}
	if _, errOut, code := runCodextray(t, env, "status"); code != ExitOK || strings.Contains(errOut, "warning") {
		t.Fatalf("0600: exit %d, stderr %q", code, errOut)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status"}, {"status", "--json"}} {
		out, errOut, code := runCodextray(t, env, args...)
		if code != ExitOK || !strings.Contains(errOut, "warning: "+path+" can be read by other users (mode 0644)") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
		if args[len(args)-1] == "--json" && len(jsonLines(t, out)) != 1 {
			t.Errorf("status --json printed %q", out)
		}
	}
}
