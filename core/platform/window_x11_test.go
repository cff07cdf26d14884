//go:build linux && !flatpak

package platform

import (
	"os"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// TestMoveWindowAndReadBack places a real X11 window (under Xvfb) and reads
// its position back.
func TestMoveWindowAndReadBack(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("needs an X display (DISPLAY is not set): run inside packaging/linux/test-session.sh (make test)")
	}
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	screen := xproto.Setup(c).DefaultScreen(c)
	win, err := xproto.NewWindowId(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.CreateWindowChecked(c, screen.RootDepth, win, screen.Root, 10, 10, 200, 100, 0,
		xproto.WindowClassInputOutput, screen.RootVisual, 0, nil).Check(); err != nil {
		t.Fatal(err)
	}
	defer xproto.DestroyWindow(c, win)
	if err := xproto.MapWindowChecked(c, win).Check(); err != nil {
		t.Fatal(err)
	}
	if err := MoveWindow(uintptr(win), 123, 77); err != nil {
		t.Fatal(err)
	}
	x, y, err := WindowPosition(uintptr(win))
	if err != nil || x != 123 || y != 77 {
		t.Fatalf("position = %d,%d (%v), want 123,77", x, y, err)
	}
}
