package packaging

// The packaged codextray.exe under Wine: the Windows-only code (LockFileEx,
// rename over auth.json, the Credential Manager, %APPDATA% paths, the Run
// key, the GUI subsystem, the notification area) run for real, not only
// compiled. Wine 8 (Debian's wine64) runs Go programs once it has a
// bcryptprimitives.dll: packaging/windows/wine/processprng.c is built with
// mingw-w64 and copied into the prefix's system32.
//
// One Wine prefix, .cache/wine/prefix, serves every run: creating one
// (wineboot) takes about 20 s. Each test gets its own Codex home under the
// Wine user's profile and starts from empty app data and an empty keychain
// mirror. A persistent wineserver serves the whole test binary and is shut
// down, with every Windows process still running, by TestMain.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// wine is the Wine set-up shared by the tests of this binary.
type wine struct {
	loader  string // wine64
	server  string // wineserver
	prefix  string
	user    string // the Wine user: C:\users\<user> is the profile
	exe     string // the packaged codextray.exe
	helper  string // packaging/windows/wine/helper, built for Windows
	scratch string // removed by TestMain
	env     []string
	// xvfb is the X server of every Windows program here (DISPLAY in
	// env): Wine's desktop and notification area live on the display of
	// the first program that needs them, and a screenshot of this one
	// shows nothing but them.
	xvfb    *exec.Cmd
	display string
}

var wineSetup struct {
	once sync.Once
	w    *wine
	err  error
	skip string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if w := wineSetup.w; w != nil {
		w.shutdown()
	}
	os.Exit(code)
}

// findWine returns the 64-bit Wine loader and wineserver. Debian's wine64
// package puts them in /usr/lib/wine; /usr/bin/wine is a wrapper that
// complains about the missing 32-bit Wine.
func findWine() (loader, server string, err error) {
	for _, c := range []string{"wine64", "/usr/lib/wine/wine64", "wine"} {
		if p, err := exec.LookPath(c); err == nil {
			loader = p
			break
		}
	}
	if loader == "" {
		return "", "", errors.New("no wine64")
	}
	// The wineserver of the same Wine: beside the loader, else on PATH.
	dir := filepath.Dir(loader)
	for _, c := range []string{filepath.Join(dir, "wineserver64"), filepath.Join(dir, "wineserver"), "wineserver"} {
		if p, err := exec.LookPath(c); err == nil {
			return loader, p, nil
		}
	}
	return "", "", errors.New("no wineserver beside " + loader)
}

// useWine returns the shared Wine set-up, making it on first use: the
// packages, the prefix, the shim DLL, the test helper and the wineserver.
// It skips only where Wine is not installed.
func useWine(t *testing.T) *wine {
	t.Helper()
	exe := filepath.Join(packages(t), "codextray-"+func() string { v, _ := appVersion(t); return v }()+"-windows-amd64.exe")
	wineSetup.once.Do(func() {
		loader, server, err := findWine()
		if err != nil {
			wineSetup.skip = "Wine is not installed (" + err.Error() + "); on Debian/Ubuntu `packaging/linux/build-deps.sh test` installs wine64"
			return
		}
		wineSetup.w, wineSetup.err = newWine(t, loader, server, exe)
	})
	if wineSetup.skip != "" {
		t.Skip(wineSetup.skip)
	}
	if wineSetup.err != nil {
		t.Fatalf("setting up Wine: %v", wineSetup.err)
	}
	return wineSetup.w
}

func newWine(t *testing.T, loader, server, exe string) (*wine, error) {
	root := repoRoot(t)
	cache := filepath.Join(root, ".cache", "wine")
	w := &wine{loader: loader, server: server, prefix: filepath.Join(cache, "prefix"), exe: exe}
	// No Mono or Gecko install prompts, no debug chatter on stderr.
	w.env = []string{"WINEPREFIX=" + w.prefix, "WINEARCH=win64", "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml=", "WINELOADER=" + loader}
	scratch, err := os.MkdirTemp("", "codextray-wine-")
	if err != nil {
		return nil, err
	}
	w.scratch = scratch
	ok := false
	defer func() {
		if !ok {
			w.shutdown()
		}
	}()

	if err := w.startXvfb(); err != nil {
		return nil, err
	}
	version, err := exec.Command(loader, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", loader, err)
	}
	stamp := filepath.Join(w.prefix, ".codextray-wine-version")
	fresh := false
	if b, err := os.ReadFile(stamp); err != nil || string(b) != string(version) {
		if err := os.RemoveAll(w.prefix); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(w.prefix, 0o755); err != nil {
			return nil, err
		}
		fresh = true
	}
	// One wineserver for all the tests, started first: -p60 keeps it up
	// between programs (each would otherwise wait for a new one), and no
	// Windows program starts one that keeps our pipes open. shutdown
	// stops it; after a crashed test it ends a minute after the last
	// Windows program.
	if out, err := w.runLogged(exec.Command(server, "-p60")); err != nil && !strings.Contains(out, "already running") {
		return nil, fmt.Errorf("wineserver -p: %w\n%s", err, out)
	}
	if fresh {
		start := time.Now()
		if out, err := w.runLogged(w.command(context.Background(), nil, "wineboot", "--init")); err != nil {
			return nil, fmt.Errorf("wineboot --init: %w\n%s", err, out)
		}
		if err := os.WriteFile(stamp, version, 0o644); err != nil {
			return nil, err
		}
		t.Logf("wine: created the prefix %s in %s", w.prefix, time.Since(start).Round(time.Millisecond))
	}

	users, _ := filepath.Glob(filepath.Join(w.prefix, "drive_c", "users", "*"))
	for _, u := range users {
		if b := filepath.Base(u); b != "Public" && !strings.HasPrefix(b, ".") {
			w.user = b
		}
	}
	if w.user == "" {
		return nil, fmt.Errorf("the prefix %s has no user profile", w.prefix)
	}

	// The shim: Go asks system32\bcryptprimitives.dll for ProcessPrng.
	dll := filepath.Join(scratch, "bcryptprimitives.dll")
	src := filepath.Join(root, "packaging", "windows", "wine")
	gcc := exec.Command("x86_64-w64-mingw32-gcc", "-O2", "-shared", "-nostdlib", "-Wl,--entry,0", "-Wl,--no-insert-timestamp",
		"-o", dll, filepath.Join(src, "processprng.c"), filepath.Join(src, "processprng.def"), "-ladvapi32", "-lkernel32")
	if out, err := gcc.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the ProcessPrng shim (mingw-w64): %w\n%s", err, out)
	}
	data, err := os.ReadFile(dll)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(w.prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll"), data, 0o644); err != nil {
		return nil, err
	}

	w.helper = filepath.Join(scratch, "helper.exe")
	build := exec.Command("go", "build", "-o", w.helper, "./packaging/windows/wine/helper")
	build.Dir = root
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the Windows test helper: %w\n%s", err, out)
	}
	ok = true
	return w, nil
}

// startXvfb starts an X server of its own (Xvfb picks a free display and
// names it on fd 3 once it accepts connections).
func (w *wine) startXvfb() error {
	r, wr, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{wr}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // gone with a crashed test
	if err := cmd.Start(); err != nil {
		wr.Close()
		return fmt.Errorf("Xvfb (Debian: apt-get install xvfb): %w", err)
	}
	wr.Close()
	w.xvfb = cmd
	got := make(chan string, 1)
	go func() { // ends when Xvfb writes its display or exits
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case d := <-got:
		if d == "" {
			return errors.New("Xvfb exited without a display")
		}
		w.display = ":" + d
	case <-time.After(30 * time.Second):
		return errors.New("Xvfb did not start within 30 s")
	}
	w.env = append(w.env, "DISPLAY="+w.display)
	return nil
}

// runLogged runs cmd with Wine's environment and its output in a file:
// a program Wine starts on the side (wineserver, services.exe) would keep
// a pipe open after cmd ends.
func (w *wine) runLogged(cmd *exec.Cmd) (string, error) {
	if cmd.Env == nil {
		cmd.Env = append(os.Environ(), w.env...)
	}
	f, err := os.CreateTemp(w.scratch, "out-")
	if err != nil {
		return "", err
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	b, _ := os.ReadFile(f.Name())
	os.Remove(f.Name())
	return string(b), err
}

// shutdown stops every Windows program of the prefix and its wineserver,
// and waits until the wineserver is gone.
func (w *wine) shutdown() {
	if w.server != "" {
		for _, arg := range []string{"-k", "-w"} {
			cmd := exec.Command(w.server, arg)
			cmd.Env = append(os.Environ(), w.env...)
			_ = cmd.Run()
		}
	}
	if w.xvfb != nil {
		_ = w.xvfb.Process.Kill()
		_ = w.xvfb.Wait()
	}
	if w.scratch != "" {
		os.RemoveAll(w.scratch)
	}
}

// command is a Windows program (a path, or a name Wine finds such as
// "reg") run by Wine, with env added to the environment.
func (w *wine) command(ctx context.Context, env []string, program string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, w.loader, append([]string{program}, args...)...)
	cmd.Env = append(append(os.Environ(), w.env...), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // gone with a crashed test
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// winUser is the Wine user's profile, as Windows and as Linux see it.
func (w *wine) winUser() (windows, unix string) {
	return `C:\users\` + w.user, filepath.Join(w.prefix, "drive_c", "users", w.user)
}

// winSession is one test's Windows side: a Codex home under the Wine
// user's profile (Windows and Linux paths) and the environment for
// codextray.exe.
type winSession struct {
	w        *wine
	t        *testing.T
	home     string // CODEX_HOME as Windows sees it
	homeUnix string
	env      []string
}

// session starts a test on a clean Windows side: empty app data (history,
// journal, caches) and no keychain mirror; the Codex home is
// C:\users\<user>\codextray-tests\<test>\.codex, created empty.
func (w *wine) session(t *testing.T, env ...string) *winSession {
	t.Helper()
	winProfile, profile := w.winUser()
	// Wine sets USERPROFILE, APPDATA and LOCALAPPDATA itself: the app's
	// data is always in the one profile, so clear it before each test.
	for _, d := range []string{
		filepath.Join(profile, "AppData", "Roaming", "fyne", appID),
		filepath.Join(profile, "AppData", "Local", "codextray"),
	} {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	base := filepath.Join(profile, "codextray-tests", name)
	if err := os.RemoveAll(base); err != nil {
		t.Fatal(err)
	}
	s := &winSession{w: w, t: t, home: winProfile + `\codextray-tests\` + name + `\.codex`, homeUnix: filepath.Join(base, ".codex")}
	if err := os.MkdirAll(s.homeUnix, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	s.env = append([]string{"CODEX_HOME=" + s.home}, env...)
	if out, errs, code := s.run(w.helper, "keychain", "clear"); code != 0 {
		t.Fatalf("helper keychain clear: exit %d\n%s%s", code, out, errs)
	}
	return s
}

// codextray runs codextray.exe with args and returns its standard output,
// standard error and exit status.
func (s *winSession) codextray(args ...string) (stdout, stderr string, code int) {
	s.t.Helper()
	return s.run(s.w.exe, args...)
}

func (s *winSession) run(program string, args ...string) (stdout, stderr string, code int) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := s.w.command(ctx, s.env, program, args...)
	// Files, not pipes: a program Wine starts on the side would keep a
	// pipe open after this one ends.
	outf, errf := s.tempFile(), s.tempFile()
	cmd.Stdout, cmd.Stderr = outf, errf
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		s.t.Fatalf("%s %s: %v", filepath.Base(program), strings.Join(args, " "), err)
	}
	out, _ := os.ReadFile(outf.Name())
	errb, _ := os.ReadFile(errf.Name())
	if ctx.Err() != nil {
		s.t.Fatalf("%s %s: no end within 90 s\n%s%s", filepath.Base(program), strings.Join(args, " "), out, errb)
	}
	return string(out), string(errb), code
}

func (s *winSession) tempFile() *os.File {
	s.t.Helper()
	f, err := os.CreateTemp(s.t.TempDir(), "out-")
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { f.Close() })
	return f
}

// start starts a Windows program without waiting for it; its standard
// output comes line by line on the returned channel.
func (s *winSession) start(stdin io.Reader, program string, args ...string) (*exec.Cmd, <-chan string) {
	s.t.Helper()
	cmd := s.w.command(context.Background(), s.env, program, args...)
	cmd.Stdin = stdin
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	var errb lockedBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() { // owned by cmd: ends when its output does
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	s.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if e := errb.String(); e != "" {
			s.t.Logf("%s stderr: %s", filepath.Base(program), e)
		}
	})
	return cmd, lines
}

// lockedBuffer is a strings.Builder safe for a process's writer goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
