// Package xtest drives the X server's top-level windows in tests and
// benchmarks as a user and a window manager would: find a window by its
// title, see whether it is shown, close it as a title bar's close button
// does. It speaks X11 itself (jezek/xgb), so it needs no xdotool, and reads
// _NET_WM_NAME, which xwininfo cannot print in the C locale.
package xtest

import (
	"errors"
	"io"
	"log"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// xgb logs every connection without an Xauthority file (Xvfb needs none).
func init() { xgb.Logger = log.New(io.Discard, "", 0) }

// Window is a top-level X window.
type Window = xproto.Window

// ErrNoWindow: no shown top-level window has the title.
var ErrNoWindow = errors.New("no such window")

func atom(x *xgb.Conn, name string) (xproto.Atom, error) {
	r, err := xproto.InternAtom(x, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, err
	}
	return r.Atom, nil
}

// Find returns the shown top-level window whose title match accepts.
func Find(match func(title string) bool) (Window, error) {
	x, err := xgb.NewConn()
	if err != nil {
		return 0, err
	}
	defer x.Close()
	tree, err := xproto.QueryTree(x, xproto.Setup(x).DefaultScreen(x).Root).Reply()
	if err != nil {
		return 0, err
	}
	name, err := atom(x, "_NET_WM_NAME")
	if err != nil {
		return 0, err
	}
	for _, w := range tree.Children {
		p, err := xproto.GetProperty(x, false, w, name, xproto.GetPropertyTypeAny, 0, 256).Reply()
		if err != nil || !match(string(p.Value)) {
			continue
		}
		if attr, err := xproto.GetWindowAttributes(x, w).Reply(); err == nil && attr.MapState == xproto.MapStateViewable {
			return w, nil
		}
	}
	return 0, ErrNoWindow
}

// Titled returns the shown top-level window titled title.
func Titled(title string) (Window, error) {
	return Find(func(t string) bool { return t == title })
}

// Shown says whether w exists and is shown.
func Shown(w Window) bool {
	x, err := xgb.NewConn()
	if err != nil {
		return false
	}
	defer x.Close()
	attr, err := xproto.GetWindowAttributes(x, w).Reply()
	return err == nil && attr.MapState == xproto.MapStateViewable
}

// Close asks w to close as a window manager's close button does: a
// WM_DELETE_WINDOW message.
func Close(w Window) error {
	x, err := xgb.NewConn()
	if err != nil {
		return err
	}
	defer x.Close()
	protocols, err := atom(x, "WM_PROTOCOLS")
	if err != nil {
		return err
	}
	del, err := atom(x, "WM_DELETE_WINDOW")
	if err != nil {
		return err
	}
	ev := xproto.ClientMessageEvent{Format: 32, Window: w, Type: protocols,
		Data: xproto.ClientMessageDataUnionData32New([]uint32{uint32(del), 0, 0, 0, 0})}
	return xproto.SendEventChecked(x, false, w, xproto.EventMaskNoEvent, string(ev.Bytes())).Check()
}
