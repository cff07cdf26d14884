package codexcli

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func fakeCodex(t *testing.T, dir, version string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "codex")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho 'codex-cli "+version+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFindOrderAndVersion(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell-script stand-ins need a POSIX shell")
	}
	home := t.TempDir()
	env := map[string]string{"PATH": ""}
	o := Options{Home: home, Env: func(k string) string { return env[k] }, GOOS: "linux", SystemDirs: []string{}}
	ctx := context.Background()

	// nvm folders, newest first; ~/.local/bin before them.
	fakeCodex(t, filepath.Join(home, ".nvm", "versions", "node", "v20.1.0", "bin"), "0.160.0")
	nvm22 := fakeCodex(t, filepath.Join(home, ".nvm", "versions", "node", "v22.3.0", "bin"), "0.170.0")
	c, err := Find(ctx, o)
	if err != nil || c.Path != nvm22 || c.Version != "0.170.0" {
		t.Fatalf("nvm: %+v, %v; want %s 0.170.0", c, err, nvm22)
	}
	local := fakeCodex(t, filepath.Join(home, ".local", "bin"), "0.171.0")
	if c, err = Find(ctx, o); err != nil || c.Path != local {
		t.Fatalf("~/.local/bin: %+v, %v", c, err)
	}
	// PATH wins over the usual folders.
	onPath := fakeCodex(t, filepath.Join(t.TempDir(), "bin"), "0.172.1")
	env["PATH"] = filepath.Dir(onPath)
	if c, err = Find(ctx, o); err != nil || c.Path != onPath || c.Version != "0.172.1" {
		t.Fatalf("PATH: %+v, %v", c, err)
	}
	// The Settings path wins over everything, and a broken one is an error.
	set := fakeCodex(t, filepath.Join(t.TempDir(), "x"), "0.150.0")
	o.Path = set
	if c, err = Find(ctx, o); err != nil || c.Path != set || c.Version != "0.150.0" {
		t.Fatalf("Settings: %+v, %v", c, err)
	}
	o.Path = filepath.Join(home, "missing", "codex")
	if c, err = Find(ctx, o); err == nil {
		t.Fatalf("a missing Settings path found %+v", c)
	}
}

func TestFindNothing(t *testing.T) {
	o := Options{Home: t.TempDir(), Env: func(string) string { return "" }, GOOS: "linux", SystemDirs: []string{}}
	if c, err := Find(context.Background(), o); err == nil {
		t.Fatalf("found %+v in an empty home", c)
	}
}
