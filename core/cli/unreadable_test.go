package cli

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth/authtest"
)

// TestStatusUnreadableFile runs codextray as an unprivileged user against an
// auth.json it may not read: a clear error, exit 1, never logged_out.
func TestStatusUnreadableFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux credentials switching")
	}
	dir := t.TempDir()
	// Everything the other user needs to reach must be world-traversable.
	for p := dir; p != "/" && p != os.TempDir(); p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe := filepath.Join(dir, "codextray.test")
	copyFile(t, exe)
	home := filepath.Join(dir, "codex")
	must(t, os.Mkdir(home, 0o755))
	must(t, os.WriteFile(filepath.Join(home, "auth.json"), authtest.Login{Expires: time.Now().Add(time.Hour)}.Document(), 0o600))

	cmd := exec.Command(exe, "status", "--json")
	cmd.Env = []string{"CODEXTRAY_TEST_AS_CLI=1", "CODEX_HOME=" + home, "HOME=" + dir, "PATH=/usr/bin:/bin"}
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	} else {
		must(t, os.Chmod(filepath.Join(home, "auth.json"), 0o000))
	}
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if code != ExitFailure || st["state"] != "error" || !strings.Contains(st["error"].(string), "permission denied") {
		t.Fatalf("exit %d, status %s", code, out)
	}
}

func copyFile(t *testing.T, dst string) {
	t.Helper()
	src, err := os.Executable()
	must(t, err)
	in, err := os.Open(src)
	must(t, err)
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	must(t, err)
	_, err = io.Copy(out, in)
	must(t, err)
	must(t, out.Close())
}
