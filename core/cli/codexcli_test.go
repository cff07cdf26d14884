package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// fakeCodexOnPath writes a `codex` that prints version into a new folder
// and returns the folder and the script's path.
func fakeCodexOnPath(t *testing.T, version string) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "codex")
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho 'codex-cli "+version+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// status --json names the installed Codex CLI, or says null.
func TestStatusCodexCLI(t *testing.T) {
	e := newTestEnv(t)
	dir, path := fakeCodexOnPath(t, "0.172.3")
	out, _, _ := runCodextray(t, append(e.env, "PATH="+dir+":/usr/bin:/bin"), "status", "--json")
	var st struct {
		CodexCLI *struct{ Path, Version string } `json:"codex_cli"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if st.CodexCLI == nil || st.CodexCLI.Path != path || st.CodexCLI.Version != "0.172.3" {
		t.Errorf("codex_cli = %+v, want {%s 0.172.3}", st.CodexCLI, path)
	}

	out, _, _ = runCodextray(t, append(e.env, "PATH="+t.TempDir()), "status", "--json")
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	if v, ok := raw["codex_cli"]; !ok || v != nil {
		t.Errorf("without a Codex CLI: codex_cli = %v (present %v), want null", v, ok)
	}
}

// client_version and the version header are the newer of the installed
// Codex CLI's version and the one this build was checked against.
func TestClientVersionFollowsInstalledCodex(t *testing.T) {
	for _, c := range []struct{ installed, want string }{{"0.180.2", "0.180.2"}, {"0.150.0", "0.171.0"}} {
		srv, env, _ := backendEnv(t, chatgptLogin())
		dir, _ := fakeCodexOnPath(t, c.installed)
		env = append(env, "PATH="+dir+":/usr/bin:/bin", "HOME="+t.TempDir())
		if out, errs, code := runCodextray(t, env, "models", "--json"); code != 0 {
			t.Fatalf("models: exit %d\n%s%s", code, out, errs)
		}
		reqs := srv.RequestsTo("/codex/models")
		if len(reqs) != 1 || reqs[0].Query != "client_version="+c.want || reqs[0].Header.Get("version") != c.want {
			t.Errorf("installed %s: %d models requests, query %q, version header %q; want client_version=%s",
				c.installed, len(reqs), reqs[0].Query, reqs[0].Header.Get("version"), c.want)
		}
	}
}
