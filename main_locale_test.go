package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth/authtest"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

// localeRun is one run of the test binary as codextray (TestMain's helper
// mode) with exactly the environment given, no more: what cron, CI, a
// container or ssh hands the program.
type localeRun struct {
	stdout, stderr string
	code           int
}

func runAsCodextray(t *testing.T, env []string, args ...string) localeRun {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, args...)...)
	cmd.Env = append([]string{mainHelperEnv + "=1"}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("codextray %v: %v", args, err)
	}
	return localeRun{stdout: out.String(), stderr: errb.String(), code: code}
}

// TestQuietUnderEveryLocale: whatever LANG or LC_ALL say (unset, C, POSIX,
// C.UTF-8, a locale that does not exist), codextray prints only its own
// output: stderr is the same as under en_US.UTF-8 and never has Fyne's
// "Error parsing user locale" lines (internal/fynelocale).
func TestQuietUnderEveryLocale(t *testing.T) {
	home := t.TempDir()
	login := authtest.Login{Expires: time.Now().Add(24 * time.Hour), Email: "ada@example.com", Plan: "plus"}
	if err := authtest.WriteAtomic(filepath.Join(home, "auth.json"), login.Document()); err != nil {
		t.Fatal(err)
	}
	backend := pt.New(t, "")
	backend.SetModels(pt.Fixture(t, "models.json"), `"m1"`)
	backend.SetUsage([]byte(`{"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,`+
		`"primary_window":{"used_percent":42,"limit_window_seconds":18000,"reset_after_seconds":3600,"reset_at":1900000000},`+
		`"secondary_window":{"used_percent":7,"limit_window_seconds":604800,"reset_after_seconds":86400,"reset_at":1900500000}}}`), nil)
	tokens := authtest.NewTokenServer(t, "rt_fake_refresh_token_0001")
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "CODEX_HOME=" + home,
		"XDG_CONFIG_HOME=" + t.TempDir(), "XDG_DATA_HOME=" + t.TempDir(), "XDG_CACHE_HOME=" + t.TempDir(),
		"CODEXTRAY_CHATGPT_BASE_URL=" + backend.ChatGPTBaseURL, "CODEXTRAY_OPENAI_BASE_URL=" + backend.OpenAIBaseURL,
		"CODEX_REFRESH_TOKEN_URL_OVERRIDE=" + tokens.TokenURL()}

	commands := [][]string{{"status"}, {"version"}, {"usage"}, {"chat", "--no-history", "hi"}}
	run := func(locale []string, args []string) localeRun {
		if args[0] == "chat" {
			backend.Enqueue(pt.Reply{Chunks: []string{pt.Stream("Hello.", pt.Usage{Input: 5, Output: 2})}})
		}
		return runAsCodextray(t, append(append([]string{}, base...), locale...), args...)
	}

	reference := map[string]localeRun{}
	for _, args := range commands {
		r := run([]string{"LANG=en_US.UTF-8"}, args)
		if r.code != 0 || r.stdout == "" {
			t.Fatalf("codextray %v under LANG=en_US.UTF-8: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
		reference[args[0]] = r
	}
	locales := [][]string{
		nil, // no locale variable at all
		{"LANG=C"}, {"LANG=POSIX"}, {"LANG=C.UTF-8"}, {"LANG=xx_YY.UTF-8"},
		{"LC_ALL=C"}, {"LC_ALL=POSIX"}, {"LC_ALL=C.UTF-8"}, {"LC_ALL=xx_YY.UTF-8"},
		{"LANG=en_US.UTF-8", "LC_ALL=C.UTF-8"}, {"LANG=C.UTF-8", "LANGUAGE=xx"},
	}
	for _, locale := range locales {
		for _, args := range commands {
			r, want := run(locale, args), reference[args[0]]
			if strings.Contains(r.stderr, "Fyne") || r.stderr != want.stderr || r.code != want.code {
				t.Errorf("codextray %v with %v: exit %d, stderr %q; want exit %d, stderr %q (as under LANG=en_US.UTF-8)",
					args, locale, r.code, r.stderr, want.code, want.stderr)
			}
			if args[0] == "version" && r.stdout != want.stdout {
				t.Errorf("codextray version with %v: stdout %q; want %q", locale, r.stdout, want.stdout)
			}
		}
	}
}

// TestVersionUnderEmptyEnvironment: `env -i PATH=$PATH codextray version`
// prints exactly one line, on stdout, and nothing on stderr.
func TestVersionUnderEmptyEnvironment(t *testing.T) {
	r := runAsCodextray(t, []string{"PATH=" + os.Getenv("PATH")}, "version")
	if r.code != 0 || r.stderr != "" || strings.Count(r.stdout, "\n") != 1 || !strings.HasPrefix(r.stdout, "codextray ") {
		t.Fatalf("codextray version under an empty environment: exit %d, stdout %q, stderr %q; want one line on stdout only",
			r.code, r.stdout, r.stderr)
	}
}
