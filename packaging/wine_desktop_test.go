package packaging

import (
	"strings"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/codextray/codextray/core/autostart"
)

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
