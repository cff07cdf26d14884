//go:build linux && !flatpak

package platform

import (
	"fmt"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// WindowPosition returns where the X11 window is on the screen (its
// top-left corner in root coordinates). Fyne has no API for a window's
// position, so it is asked of the X server directly.
func WindowPosition(handle uintptr) (x, y int, err error) {
	c, err := xgb.NewConn()
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %v", ErrWindowPosition, err)
	}
	defer c.Close()
	win := xproto.Window(handle)
	root := xproto.Setup(c).DefaultScreen(c).Root
	tr, err := xproto.TranslateCoordinates(c, win, root, 0, 0).Reply()
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %v", ErrWindowPosition, err)
	}
	return int(tr.DstX), int(tr.DstY), nil
}

// MoveWindow puts the X11 window's top-left corner at x, y.
func MoveWindow(handle uintptr, x, y int) error {
	c, err := xgb.NewConn()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrWindowPosition, err)
	}
	defer c.Close()
	return xproto.ConfigureWindowChecked(c, xproto.Window(handle),
		xproto.ConfigWindowX|xproto.ConfigWindowY, []uint32{uint32(int32(x)), uint32(int32(y))}).Check()
}
