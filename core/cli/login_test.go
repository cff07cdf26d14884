package cli

// `codextray login` against the real Codex CLI's app-server, which talks to
// fakes of auth.openai.com and chatgpt.com through a CONNECT proxy.

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/internal/codexfake"
)

// loginWorld is a user whose real Codex (found on PATH, as a user's would
// be) goes through the proxy to the fakes.
type loginWorld struct {
	proxy  *codexfake.Proxy
	openai *codexfake.OpenAI
	user   *codexfake.User
	env    []string // for codextray
}

func newLoginWorld(t *testing.T) *loginWorld {
	t.Helper()
	codex := codexfake.RealCodex(t)
	ca, err := codexfake.NewCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := codexfake.NewOpenAI()
	p := codexfake.StartProxy(t, ca, o, codexfake.AuthHost, codexfake.ChatGPTHost)
	u := codexfake.NewUser(t, p)
	bin := t.TempDir()
	if err := os.Symlink(codex, filepath.Join(bin, "codex")); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, kv := range u.Env {
		if !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	return &loginWorld{proxy: p, openai: o, user: u, env: env}
}

// loginRun is a running `codextray login`.
type loginRun struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *strings.Builder
	done   chan struct{}
	code   int
}

func (w *loginWorld) start(t *testing.T, args ...string) *loginRun {
	t.Helper()
	cmd := codextrayCmd(t, nil, append([]string{"login"}, args...)...)
	cmd.Env = append([]string{"CODEXTRAY_TEST_AS_CLI=1"}, w.env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &loginRun{cmd: cmd, lines: make(chan string, 100), stderr: &strings.Builder{}, done: make(chan struct{})}
	cmd.Stderr = &lockedBuilder{b: r.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		close(r.lines)
		_ = cmd.Wait()
		r.code = cmd.ProcessState.ExitCode()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

type lockedBuilder struct{ b *strings.Builder }

func (l *lockedBuilder) Write(p []byte) (int, error) { return l.b.Write(p) }

// baseEnvWithout is baseEnv without the variables named (or prefixed).
func baseEnvWithout(names ...string) []string {
	var out []string
	for _, kv := range baseEnv() {
		k, _, _ := strings.Cut(kv, "=")
		skip := strings.HasSuffix(strings.ToLower(k), "_proxy")
		for _, n := range names {
			skip = skip || k == n || strings.HasSuffix(n, "_") && strings.HasPrefix(k, n)
		}
		if !skip {
			out = append(out, kv)
		}
	}
	return out
}

// until reads lines until one contains want; it returns everything read.
func (r *loginRun) until(t *testing.T, want string) string {
	t.Helper()
	var seen []string
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				<-r.done
				t.Fatalf("codextray login ended (exit %d) before printing %q; stdout:\n%s\nstderr:\n%s", r.code, want, strings.Join(seen, "\n"), r.stderr)
			}
			seen = append(seen, l)
			if strings.Contains(l, want) {
				return strings.Join(seen, "\n")
			}
		case <-timeout:
			t.Fatalf("codextray login printed no %q within 30 s; stdout:\n%s", want, strings.Join(seen, "\n"))
		}
	}
}

func (r *loginRun) wait(t *testing.T) (rest string, code int) {
	t.Helper()
	var seen []string
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				<-r.done
				return strings.Join(seen, "\n"), r.code
			}
			seen = append(seen, l)
		case <-time.After(60 * time.Second):
			t.Fatal("codextray login did not end within 60 s")
		}
	}
}

func TestLoginDeviceCode(t *testing.T) {
	w := newLoginWorld(t)
	r := w.start(t)
	out := r.until(t, codexfake.UserCode)
	if !strings.Contains(out, "https://auth.openai.com/codex/device") {
		t.Errorf("codextray login did not print the device page:\n%s", out)
	}
	select {
	case <-w.openai.Polled():
	case <-time.After(30 * time.Second):
		t.Fatal("Codex never polled the device code")
	}
	w.openai.SetDeviceAnswer(codexfake.DeviceAuthorized)
	rest, code := r.wait(t)
	if code != ExitOK || !strings.Contains(rest, "Signed in as "+w.openai.Email+" (Plus).") {
		t.Fatalf("exit %d, want 0 and \"Signed in as %s (Plus).\"; stdout:\n%s\nstderr:\n%s", code, w.openai.Email, rest, r.stderr)
	}
	// Codex wrote the login, and codextray status sees it.
	outS, errS, codeS := runCodextray(t, w.env, "status", "--json")
	var st auth.Status
	if err := json.Unmarshal([]byte(outS), &st); err != nil || codeS != 0 || st.Email != w.openai.Email || st.Mode != "chatgpt" {
		t.Errorf("status after login: exit %d, %+v (%v)\n%s", codeS, st, err, errS)
	}
	for _, s := range w.openai.Secrets() {
		if strings.Contains(out+rest+r.stderr.String(), s) {
			t.Error("codextray login printed a token")
		}
	}
}

func TestLoginDeviceDisabledExits3(t *testing.T) {
	w := newLoginWorld(t)
	w.openai.DisableDeviceCode()
	r := w.start(t, "--device")
	_, code := r.wait(t)
	if code != ExitLoginNeeded || !strings.Contains(r.stderr.String(), "admin") {
		t.Fatalf("exit %d, want 3 and the admin sentence; stderr:\n%s", code, r.stderr)
	}
}

func TestLoginInterruptedLeavesNoProcess(t *testing.T) {
	w := newLoginWorld(t)
	r := w.start(t)
	r.until(t, codexfake.UserCode)
	select {
	case <-w.openai.Polled():
	case <-time.After(30 * time.Second):
		t.Fatal("Codex never polled the device code")
	}
	children := codexfake.Descendants(r.cmd.Process.Pid)
	if len(children) == 0 {
		t.Fatal("no app-server process under codextray login")
	}
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	_, code := r.wait(t)
	if code != ExitLoginNeeded || !strings.Contains(r.stderr.String(), "cancelled") {
		t.Errorf("exit %d, want 3 and \"cancelled\"; stderr:\n%s", code, r.stderr)
	}
	for _, pid := range children {
		if codexfake.Alive(pid) {
			t.Errorf("process %d (started by codextray login) is still running", pid)
		}
	}
	if _, err := os.Stat(filepath.Join(w.user.CodexHome, auth.AuthFileName)); err == nil {
		t.Error("a cancelled sign-in left a login")
	}
}

func TestLoginWithoutCodexSaysHowToInstall(t *testing.T) {
	e := newTestEnv(t)
	cmd := codextrayCmd(t, nil, "login")
	cmd.Env = append(append([]string{"CODEXTRAY_TEST_AS_CLI=1", "PATH=" + t.TempDir()}, baseEnvWithout("PATH", "HOME", "XDG_")...), e.env...)
	var errb strings.Builder
	cmd.Stderr = &errb
	cmd.Stdout = io.Discard
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() { <-ctx.Done(); _ = cmd.Process.Kill() }()
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != ExitLoginNeeded || !strings.Contains(errb.String(), "npm install -g @openai/codex") {
		t.Fatalf("exit %d, want 3 and the install command; stderr:\n%s", code, errb.String())
	}
}

func TestLoginUsage(t *testing.T) {
	_, errs, code := runCodextray(t, nil, "login", "--device", "--browser")
	if code != ExitUsage {
		t.Fatalf("login --device --browser: exit %d, want 2: %s", code, errs)
	}
}

func TestLoginBrowser(t *testing.T) {
	w := newLoginWorld(t)
	r := w.start(t, "--browser")
	out := r.until(t, "https://auth.openai.com/oauth/authorize")
	var authURL string
	for _, l := range strings.Split(out, "\n") {
		if s := strings.TrimSpace(l); strings.HasPrefix(s, "https://auth.openai.com/oauth/authorize") {
			authURL = s
		}
	}
	// The user's browser: auth.openai.com sends it back to Codex's
	// callback on this machine.
	browser := w.proxy.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = (&http.Client{Timeout: 20 * time.Second}).Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rest, code := r.wait(t)
	if code != ExitOK || !strings.Contains(rest, "Signed in as "+w.openai.Email) {
		t.Fatalf("exit %d; stdout:\n%s\nstderr:\n%s", code, rest, r.stderr)
	}
}
