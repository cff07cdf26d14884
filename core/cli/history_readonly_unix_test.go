//go:build unix

package cli

import (
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	pt "github.com/codextray/codextray/core/provider/providertest"
)

// nobody is the unprivileged user the read-only tests run codextray as when
// they run as root, who can write any file whatever its mode: a read-only
// file is read-only only for a normal user.
const nobody = 65534

// unprivileged prepares to run codextray as a normal user: as nobody when
// the tests run as root (the paths it needs given to nobody, the binary
// copied where nobody can run it), else as the user running them.
type unprivileged struct {
	t   *testing.T
	exe string
}

func newUnprivileged(t *testing.T) *unprivileged {
	t.Helper()
	u := &unprivileged{t: t}
	if os.Geteuid() != 0 {
		return u
	}
	exe, err := os.Executable()
	must(t, err)
	dir := t.TempDir()
	u.exe = filepath.Join(dir, "codextray.test")
	src, err := os.Open(exe)
	must(t, err)
	defer src.Close()
	dst, err := os.OpenFile(u.exe, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	must(t, err)
	_, err = io.Copy(dst, src)
	must(t, err)
	must(t, dst.Close())
	u.open(dir)
	return u
}

// open lets nobody reach path: the test's temporary folders above it are
// made traversable.
func (u *unprivileged) open(path string) {
	if u.exe == "" {
		return
	}
	for d := path; d != "/" && d != "." && strings.HasPrefix(d, os.TempDir()) && d != os.TempDir(); d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			must(u.t, os.Chmod(d, fi.Mode().Perm()|0o111))
		}
	}
}

// give makes everything under each root nobody's, as a normal user's
// own files are.
func (u *unprivileged) give(roots ...string) {
	if u.exe == "" {
		return
	}
	for _, root := range roots {
		u.open(root)
		must(u.t, filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, nobody, nobody)
		}))
	}
}

func (u *unprivileged) run(env []string, args ...string) (string, string, int) {
	u.t.Helper()
	cmd := codextrayCmd(u.t, env, args...)
	if u.exe != "" {
		cmd.Path = u.exe
		cmd.Args[0] = u.exe
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		cmd.Env = append(cmd.Env, "HOME="+envValue(env, "XDG_CONFIG_HOME"))
	}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// Case 4 of issue 16: a read-only history.db, or a read-only data folder,
// is called read-only (not unreadable), is left alone, its conversations
// are still listed, and the chat is answered, unrecorded, said once.
func TestReadOnlyHistoryIsShownAndTheChatAnswers(t *testing.T) {
	for _, which := range []string{"file", "folder"} {
		t.Run(which, func(t *testing.T) {
			srv, env, _ := backendEnv(t, chatgptLogin())
			conv := seedHistory(t, srv, env)
			path := historyPath(env)
			before, err := os.ReadFile(path)
			must(t, err)
			u := newUnprivileged(t)
			u.give(envValue(env, "CODEX_HOME"), envValue(env, "XDG_CONFIG_HOME"), envValue(env, "XDG_CACHE_HOME"))
			if which == "file" {
				must(t, os.Chmod(path, 0o400))
			} else {
				must(t, os.Chmod(filepath.Dir(path), 0o500))
				t.Cleanup(func() { os.Chmod(filepath.Dir(path), 0o700) })
			}

			srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("Answered from a read-only history.", pt.Usage{})}})
			out, errOut, code := u.run(env, "chat", "--model", "gpt-5.5", "a question to a read-only history")
			answeredUnrecorded(t, out, errOut, code, "Answered from a read-only history.", "read-only")

			out, errOut, code = u.run(env, "history", "list")
			if code != 0 || !strings.Contains(out, conv.Title) || !strings.Contains(errOut, "read-only") || strings.Contains(errOut, "unreadable") {
				t.Errorf("history list of a read-only history: exit %d: %s %s", code, out, errOut)
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Error("the read-only database changed")
			}
			if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) != 0 {
				t.Errorf("set aside: %v", m)
			}
		})
	}
}
