package codexfake

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// RealCodex returns the real Codex CLI the tests run ($CODEXTRAY_REAL_CODEX,
// set by `make test`); the test fails without it.
func RealCodex(t testing.TB) string {
	t.Helper()
	p := os.Getenv("CODEXTRAY_REAL_CODEX")
	if p == "" {
		t.Fatal("CODEXTRAY_REAL_CODEX is not set: run the tests with `make test`, or set it to the real Codex CLI (the Makefile shows how it is installed)")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("CODEXTRAY_REAL_CODEX: %v", err)
	}
	return p
}

// User is an isolated user for the real Codex: its own HOME and
// CODEX_HOME, and an environment that reaches OpenAI only through the
// proxy.
type User struct {
	Home      string // HOME
	CodexHome string // CODEX_HOME
	Env       []string
}

// NewUser makes a user whose Codex goes through p. extra is appended to
// the environment.
func NewUser(t testing.TB, p *Proxy, extra ...string) *User {
	t.Helper()
	home := t.TempDir()
	ch := filepath.Join(home, ".codex")
	if err := os.Mkdir(ch, 0o700); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CODEX_") || strings.HasPrefix(k, "OPENAI_") || strings.HasSuffix(strings.ToLower(k), "_proxy") ||
			k == "HOME" || strings.HasPrefix(k, "XDG_CONFIG") || strings.HasPrefix(k, "XDG_DATA") || strings.HasPrefix(k, "XDG_CACHE") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "CODEX_HOME="+ch,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	if p != nil {
		env = append(env, p.Env()...)
	}
	env = append(env, extra...)
	return &User{Home: home, CodexHome: ch, Env: env}
}

// WriteConfig writes CODEX_HOME/config.toml.
func (u *User) WriteConfig(t testing.TB, toml string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(u.CodexHome, "config.toml"), []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Alive reports whether a process with this id exists (and is no zombie).
func Alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// Descendants returns the live processes whose parent chain reaches pid,
// or which are in the process group pid leads (found through /proc).
func Descendants(pid int) []int {
	type proc struct{ ppid, pgid int }
	procs := map[int]proc{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 4 || f[0] == "Z" {
			continue
		}
		pp, _ := strconv.Atoi(f[1])
		pg, _ := strconv.Atoi(f[2])
		procs[n] = proc{pp, pg}
	}
	var out []int
	for n, p := range procs {
		if n == pid {
			continue
		}
		if p.pgid == pid {
			out = append(out, n)
			continue
		}
		for q, hops := p.ppid, 0; q > 1 && hops < 64; hops++ {
			if q == pid {
				out = append(out, n)
				break
			}
			q = procs[q].ppid
		}
	}
	return out
}
