package tray

// The sign-in window in the real app: "Sign in again…" in the tray menu
// (read and clicked over D-Bus) opens it in the window host, which runs the
// real Codex CLI's app-server against fakes of auth.openai.com and
// chatgpt.com behind a CONNECT proxy. When the fake authorizes the device
// code, Codex writes the login, the window closes, the menu shows the new
// account, and one notification says who signed in.

import (
	"context"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/internal/codexfake"
	"github.com/codextray/codextray/internal/xtest"
	"github.com/godbus/dbus/v5"
)

const signInTitle = "Codex Tray — Sign in to Codex"

// withCodex gives the app the real Codex CLI at codex (first on its PATH),
// talking to fake as auth.openai.com and chatgpt.com through a CONNECT
// proxy with a throwaway CA.
func (e *trayEnv) withCodex(t *testing.T, codex string, fake *codexfake.OpenAI) {
	t.Helper()
	ca, err := codexfake.NewCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	proxy := codexfake.StartProxy(t, ca, fake, codexfake.AuthHost, codexfake.ChatGPTHost)
	bin := t.TempDir()
	if err := os.Symlink(codex, filepath.Join(bin, "codex")); err != nil {
		t.Fatal(err)
	}
	e.extraEnv = append(proxy.Env(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// startSignIn clicks "Sign in again…" in the signed-out menu and waits for
// the sign-in window and Codex polling the device code; it returns the
// pids of the Codex app-server the sign-in runs.
func (e *trayEnv) startSignIn(t *testing.T, menuObj dbus.BusObject, fake *codexfake.OpenAI) []int {
	t.Helper()
	waitFor(t, "the signed-out line", func() bool { return getLayout(t, menuObj).find("Not signed in to Codex") != nil })
	// One click (the signed-out menu is not rebuilt by a fetch): a second
	// could reach the window host after the window closed.
	click(t, menuObj, getLayout(t, menuObj), "Sign in again…")
	waitWindow(t, signInTitle)
	select {
	case <-fake.Polled():
	case <-time.After(trayTestWithin):
		t.Fatal("Codex never polled the device code: the window did not start a sign-in")
	}
	appServer := codexProcesses(e.app.Process.Pid)
	if len(appServer) == 0 {
		t.Fatal("no Codex app-server under the app while the sign-in runs")
	}
	return appServer
}

func TestSignInWindowDeviceFlowOverDBus(t *testing.T) {
	codex := codexfake.RealCodex(t)
	e := newTrayEnv(t)
	srv := e.notificationServer(t)
	e.startWatcher(t)
	if host, err := exec.LookPath("gtk-sni-tray-standalone"); err == nil {
		startProcess(t, exec.Command(host))
	}
	fake := codexfake.NewOpenAI()
	fake.Email = "grace@example.com"
	fake.Plan = "pro"
	e.withCodex(t, codex, fake)

	e.startApp(t)
	item := trayItem(t, e.conn)
	menuObj := menuOf(t, e.conn, item)
	appServer := e.startSignIn(t, menuObj, fake)
	shootSignIn(t, "signin.png", 260)

	fake.SetDeviceAnswer(codexfake.DeviceAuthorized)
	// The new account, and "Sign out…" with it, in one read of the menu
	// (a read while the tray rebuilds its menu for the new shape can see
	// part of it).
	waitFor(t, "the new account and \"Sign out…\" in the tray menu", func() bool {
		l := getLayout(t, menuObj)
		return l.find("grace@example.com · Pro") != nil && l.find("Sign out…") != nil
	})
	waitFor(t, "the sign-in window to close", func() bool {
		_, err := xtest.Titled(signInTitle)
		return err != nil
	})
	// The app started signed out, which it said; then the sign-in.
	for signedIn := false; !signedIn; {
		select {
		case n := <-srv.got:
			switch {
			case n.Summary == "Signed out of Codex":
			case n.Summary == "Signed in to Codex" && strings.Contains(n.Body, "Signed in as grace@example.com (Pro)"):
				signedIn = true
			default:
				t.Errorf("notification %q: %q, want \"Signed in as grace@example.com (Pro).\"", n.Summary, n.Body)
			}
		case <-time.After(trayTestWithin):
			t.Fatal("no \"Signed in\" notification")
		}
	}
	// One notification: the window host, whose window closed, has exited
	// by now, and the tray has had the login for a while.
	waitFor(t, "the window host to exit after the window closed", func() bool { return !e.hostRunning() })
	select {
	case n := <-srv.got:
		t.Errorf("a second notification: %q: %q", n.Summary, n.Body)
	default:
	}
	for _, pid := range appServer {
		if codexfake.Alive(pid) {
			t.Errorf("Codex app-server (pid %d) still runs after the sign-in", pid)
		}
	}
	// Codex agrees that it is signed in.
	cmd := exec.Command(codex, "login", "status")
	cmd.Env = append(os.Environ(), "CODEX_HOME="+e.codexHome)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Logged in using ChatGPT") {
		t.Errorf("codex login status: %v: %s", err, out)
	}
	checkRaceReports(t, e.raceLog)
}

func TestSignInWindowCancelEndsAppServer(t *testing.T) {
	codex := codexfake.RealCodex(t)
	e := newTrayEnv(t)
	e.startWatcher(t)
	fake := codexfake.NewOpenAI()
	e.withCodex(t, codex, fake)
	e.writeLogin(t, time.Hour)
	e.startApp(t)
	item := trayItem(t, e.conn)
	menuObj := menuOf(t, e.conn, item)
	// Click once, when the menu is whole (usage fetched): a click on a
	// menu being rebuilt is lost, and a second one could arrive after the
	// window closed, opening it again.
	waitFor(t, "the account and usage lines", func() bool {
		l := getLayout(t, menuObj)
		return l.find("ada@example.com · Plus") != nil && l.findPrefix("5 h: 42 % used") != nil
	})
	click(t, menuObj, getLayout(t, menuObj), "Sign in again…")
	waitWindow(t, signInTitle)
	select {
	case <-fake.Polled():
	case <-time.After(trayTestWithin):
		t.Fatal("Codex never polled the device code")
	}
	appServer := codexProcesses(e.app.Process.Pid)
	if len(appServer) == 0 {
		t.Fatal("no Codex app-server under the app while the sign-in runs")
	}
	closeWindow(t, signInTitle) // as the title bar's close button does
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("app-server processes: %v\n%s", appServer, describe(appServer))
			t.Logf("the app's processes now:\n%s", describe(codexfake.Descendants(e.app.Process.Pid)))
		}
	})
	waitFor(t, "the app-server to end with the window", func() bool {
		for _, pid := range appServer {
			if codexfake.Alive(pid) {
				return false
			}
		}
		return true
	})
	waitFor(t, "the window host to exit", func() bool { return !e.hostRunning() })
	// The login is untouched.
	raw, err := os.ReadFile(filepath.Join(e.codexHome, "auth.json"))
	if err != nil || !strings.Contains(string(raw), "rt_fake_refresh_token_0001") {
		t.Errorf("a cancelled sign-in changed the login: %v", err)
	}
	checkRaceReports(t, e.raceLog)
}

// describe names processes for a failure message.
func describe(pids []int) string {
	var b strings.Builder
	for _, p := range pids {
		cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/cmdline")
		stat, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat")
		b.WriteString(strconv.Itoa(p) + ": " + strings.ReplaceAll(string(cmd), "\x00", " ") + " [" + strings.TrimSpace(string(stat)) + "]\n")
	}
	return b.String()
}

// codexProcesses returns the Codex processes below pid.
func codexProcesses(pid int) []int {
	var out []int
	for _, p := range codexfake.Descendants(pid) {
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/comm")
		if strings.TrimSpace(string(comm)) == "codex" {
			out = append(out, p)
		}
	}
	return out
}

// shootSignIn saves the sign-in window, drawn and at least minHeight
// pixels high, as name in $CODEXTRAY_SCREENSHOTS (docs/screenshots when
// retaking them), else in the artifact folder.
func shootSignIn(t *testing.T, name string, minHeight int) {
	t.Helper()
	if _, err := exec.LookPath("import"); err != nil {
		t.Log("ImageMagick's import is not installed; no screenshot")
		return
	}
	dir := os.Getenv("CODEXTRAY_SCREENSHOTS")
	if dir == "" {
		dir = artifactDir(t)
	}
	var win xtest.Window
	waitFor(t, "the sign-in window shown", func() bool {
		w, err := xtest.Titled(signInTitle)
		win = w
		return err == nil
	})
	// The window grows to fit the code once Codex has handed it over.
	waitFor(t, "the sign-in window grown to show the code", func() bool {
		out, err := exec.Command("xwininfo", "-id", strconv.Itoa(int(win))).Output()
		if err != nil {
			return false
		}
		for _, l := range strings.Split(string(out), "\n") {
			if h, ok := strings.CutPrefix(strings.TrimSpace(l), "Height: "); ok {
				n, _ := strconv.Atoi(h)
				return n > minHeight
			}
		}
		return false
	})
	shot := filepath.Join(dir, name)
	ctx, cancel := context.WithTimeout(context.Background(), trayTestWithin)
	defer cancel()
	waitFor(t, "the sign-in window drawn with its code", func() bool {
		out, err := exec.CommandContext(ctx, "import", "-window", strconv.Itoa(int(win)), shot).CombinedOutput()
		if err != nil {
			t.Fatalf("screenshot: %v\n%s", err, out)
		}
		// Drawn all over: no black (undrawn) part left.
		return litFraction(t, shot) > 0.97
	})
	t.Logf("screenshot of the sign-in window: %s", shot)
}

// litFraction is the share of a screenshot's pixels that are not black.
func litFraction(t *testing.T, path string) float64 {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return 0 // caught while being written
	}
	b := img.Bounds()
	if b.Empty() {
		return 0
	}
	return float64(litPixels(t, path)) / float64(((b.Dx()+1)/2)*((b.Dy()+1)/2))
}

func TestReloginNotificationOpensSignIn(t *testing.T) {
	e := newTrayEnv(t)
	srv := e.notificationServer(t)
	e.startWatcher(t)
	e.writeLogin(t, 10*24*time.Hour)
	e.startApp(t)
	item := trayItem(t, e.conn)
	waitFor(t, "the account line", func() bool { return getLayout(t, menuOf(t, e.conn, item)).find("ada@example.com · Plus") != nil })
	e.removeLogin(t) // signed out by `codex logout`
	var n notification
	select {
	case n = <-srv.got:
	case <-time.After(trayTestWithin):
		t.Fatal("no notification after signing out")
	}
	if n.Summary != "Signed out of Codex" || len(n.Actions) != 4 || n.Actions[2] == "" || n.Actions[3] != "Sign in…" {
		t.Fatalf("notification %q with actions %q, want \"Signed out of Codex\" with a \"Sign in…\" button", n.Summary, n.Actions)
	}
	// The user clicks the button.
	if err := e.conn.Emit("/org/freedesktop/Notifications", notifyName+".ActionInvoked", n.ID, n.Actions[2]); err != nil {
		t.Fatal(err)
	}
	waitWindow(t, signInTitle)
	// Without a Codex CLI (none on this PATH) the window says how to
	// install it.
	shootSignIn(t, "signin-no-codex.png", 150)
	closeWindow(t, signInTitle)
	waitFor(t, "the window host to exit", func() bool { return !e.hostRunning() })
	checkRaceReports(t, e.raceLog)
}

func TestQuitDuringSignInEndsAppServer(t *testing.T) {
	codex := codexfake.RealCodex(t)
	e := newTrayEnv(t)
	e.startWatcher(t)
	fake := codexfake.NewOpenAI()
	e.withCodex(t, codex, fake)
	exited := e.startApp(t)
	menuObj := menuOf(t, e.conn, trayItem(t, e.conn))
	appServer := e.startSignIn(t, menuObj, fake)
	clickQuit(t, menuObj)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the app exited with %v after Quit", err)
		}
	case <-time.After(trayTestWithin):
		t.Fatal("the app did not exit after Quit")
	}
	waitFor(t, "the app-server to end with the app", func() bool {
		for _, pid := range appServer {
			if codexfake.Alive(pid) {
				return false
			}
		}
		return true
	})
	checkRaceReports(t, e.raceLog)
}
