package packaging

import (
	"image"
	"image/color"
	"image/png"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/codextray/codextray/core/autostart"
)

// xgb logs every connection without an Xauthority file (Xvfb needs none).
func init() { xgb.Logger = log.New(io.Discard, "", 0) }

const runKey = `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`

// winPath is a Linux path as Wine's programs see it (drive Z: is /).
func winPath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

// runValues reads the Run key with Wine's reg.exe: value name → "TYPE DATA".
func (s *winSession) runValues() map[string]string {
	s.t.Helper()
	out, errs, code := s.run("reg", "query", runKey)
	if code != 0 {
		s.t.Fatalf("reg query %s: exit %d\n%s%s", runKey, code, out, errs)
	}
	vals := map[string]string{}
	for line := range strings.Lines(out) {
		if !strings.HasPrefix(line, "    ") {
			continue // the key's name, blank lines
		}
		f := strings.Split(strings.TrimSpace(line), "    ")
		if len(f) == 3 {
			vals[f[0]] = f[1] + " " + f[2]
		} else if len(f) == 2 {
			vals[f[0]] = f[1] + " "
		}
	}
	return vals
}

// TestWineAutostart: "Start at login" on writes exactly the Run value
// "Codex Tray" with the program's path, and off removes exactly it; a
// value of another program stays. The Settings switch calls
// core/autostart, which the helper runs in a Windows process.
func TestWineAutostart(t *testing.T) {
	w := useWine(t)
	s := w.session(t)
	const other, otherExe = "Other App (codextray test)", `C:\Program Files\Other\other.exe`
	if out, errs, code := s.run("reg", "add", runKey, "/v", other, "/t", "REG_SZ", "/d", otherExe, "/f"); code != 0 {
		t.Fatalf("reg add: exit %d\n%s%s", code, out, errs)
	}
	t.Cleanup(func() { s.run("reg", "delete", runKey, "/v", other, "/f") })
	s.run(w.helper, "autostart", "disable") // a value left by an interrupted run
	before := s.runValues()
	if _, ok := before[autostart.Name]; ok {
		t.Fatalf("Run holds %q before the test", autostart.Name)
	}

	exe := winPath(w.exe)
	if out, errs, code := s.run(w.helper, "autostart", "enable", exe); code != 0 {
		t.Fatalf("autostart enable: exit %d\n%s%s", code, out, errs)
	}
	on := s.runValues()
	if got, want := on[autostart.Name], "REG_SZ "+quoteArg(exe); got != want {
		t.Errorf("Run value %q = %q, want %q", autostart.Name, got, want)
	}
	if len(on) != len(before)+1 || on[other] != "REG_SZ "+otherExe {
		t.Errorf("Run after enable: %v (before: %v)", on, before)
	}
	if out, _, _ := s.run(w.helper, "autostart", "enabled"); strings.TrimSpace(out) != "true" {
		t.Errorf("Enabled after Enable: %q", out)
	}

	if out, errs, code := s.run(w.helper, "autostart", "disable"); code != 0 {
		t.Fatalf("autostart disable: exit %d\n%s%s", code, out, errs)
	}
	off := s.runValues()
	if _, ok := off[autostart.Name]; ok || len(off) != len(before) || off[other] != "REG_SZ "+otherExe {
		t.Errorf("Run after disable: %v (before: %v)", off, before)
	}
	if out, _, _ := s.run(w.helper, "autostart", "enabled"); strings.TrimSpace(out) != "false" {
		t.Errorf("Enabled after Disable: %q", out)
	}
}

// quoteArg is syscall.EscapeArg for a path without quotes: quoted only
// when it has a space or a tab.
func quoteArg(p string) string {
	if strings.ContainsAny(p, " \t") {
		return `"` + p + `"`
	}
	return p
}

// xWindow is a shown top-level X window.
type xWindow struct {
	id         xproto.Window
	title      string
	x, y, w, h int
}

// shownWindows lists the shown top-level windows of display.
func shownWindows(display string) ([]xWindow, error) {
	x, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, err
	}
	defer x.Close()
	root := xproto.Setup(x).DefaultScreen(x).Root
	tree, err := xproto.QueryTree(x, root).Reply()
	if err != nil {
		return nil, err
	}
	netName, err := xproto.InternAtom(x, false, uint16(len("_NET_WM_NAME")), "_NET_WM_NAME").Reply()
	if err != nil {
		return nil, err
	}
	var shown []xWindow
	for _, id := range tree.Children {
		attr, err := xproto.GetWindowAttributes(x, id).Reply()
		if err != nil || attr.MapState != xproto.MapStateViewable {
			continue
		}
		g, err := xproto.GetGeometry(x, xproto.Drawable(id)).Reply()
		if err != nil {
			continue
		}
		win := xWindow{id: id, x: int(g.X), y: int(g.Y), w: int(g.Width), h: int(g.Height)}
		for _, a := range []xproto.Atom{netName.Atom, xproto.AtomWmName} {
			if p, err := xproto.GetProperty(x, false, id, a, xproto.GetPropertyTypeAny, 0, 256).Reply(); err == nil && len(p.Value) > 0 {
				win.title = string(p.Value)
				break
			}
		}
		shown = append(shown, win)
	}
	return shown, nil
}

// TestWineTray: codextray.exe without a command starts the tray app, whose
// icon shows in Wine's notification area ("Wine System Tray", the window
// Wine draws when the X display has no tray of its own), with the green
// check of a valid login and no console window. The screenshot is kept as
// bin/wine/tray.png.
func TestWineTray(t *testing.T) {
	w := useWine(t)
	s := w.session(t)
	s.writeAuth(authtest.Login{Expires: time.Now().Add(48 * time.Hour)}.Document())
	before, err := shownWindows(w.display)
	if err != nil {
		t.Fatal(err)
	}
	for _, win := range before {
		if win.title == wineTrayTitle {
			t.Fatalf("%q is shown before the app starts", wineTrayTitle)
		}
	}

	_, output := s.start(nil, w.exe)
	ended := func() bool { // the output ends with the program
		select {
		case _, ok := <-output:
			return !ok
		default:
			return false
		}
	}
	var shown []xWindow
	var found *xWindow
	deadline := time.Now().Add(90 * time.Second)
	for found == nil {
		if ended() {
			t.Fatal("codextray.exe ended")
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q window within 90 s; shown: %v", wineTrayTitle, shown)
		}
		time.Sleep(100 * time.Millisecond)
		if shown, err = shownWindows(w.display); err != nil {
			t.Fatal(err)
		}
		for i := range shown {
			if shown[i].title == wineTrayTitle {
				found = &shown[i]
			}
		}
	}

	// The icon is drawn once it is in the notification area: poll the
	// screenshot until its green check is there.
	shot := filepath.Join(repoRoot(t), "bin", "wine", "tray.png")
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		t.Fatal(err)
	}
	var green int
	for green < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("the notification area shows no green check (%d green pixels); see %s", green, shot)
		}
		time.Sleep(100 * time.Millisecond)
		cmd := exec.Command("import", "-display", w.display, "-window", "root", shot)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("import: %v\n%s", err, out)
		}
		green = greenPixels(t, shot, image.Rect(found.x, found.y, found.x+found.w, found.y+found.h))
	}
	t.Logf("screenshot of the notification area: %s", shot)

	// Nothing else of the app is shown: no console, no window.
	for _, win := range shown {
		if win.title != wineTrayTitle && !slices.ContainsFunc(before, func(b xWindow) bool { return b.id == win.id }) {
			t.Errorf("the GUI start shows a window %q (%dx%d) besides the notification area", win.title, win.w, win.h)
		}
	}
}

// wineTrayTitle is the title of the window in which Wine shows the
// notification area when the X display has no tray (XEMBED) of its own.
const wineTrayTitle = "Wine System Tray"

// greenPixels counts the clearly green pixels of the PNG at path inside r:
// the check of the "valid" tray icon.
func greenPixels(t *testing.T, path string, r image.Rectangle) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if int(c.G) > int(c.R)+60 && int(c.G) > int(c.B)+30 {
				n++
			}
		}
	}
	return n
}
