//go:build windows

package platform

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// user32 calls that x/sys/windows does not wrap.
var (
	user32              = windows.NewLazySystemDLL("user32.dll")
	procGetWindowRect   = user32.NewProc("GetWindowRect")
	procSetWindowPos    = user32.NewProc("SetWindowPos")
	procMonitorFromRect = user32.NewProc("MonitorFromRect")
)

const (
	monitorDefaultToNull = 0x0000 // MONITOR_DEFAULTTONULL
	swpNoSize            = 0x0001 // SWP_NOSIZE
	swpNoZOrder          = 0x0004 // SWP_NOZORDER
	swpNoActivate        = 0x0010 // SWP_NOACTIVATE
)

// WindowPosition returns where the window (an HWND) is on the virtual
// screen: the top-left corner of its window rectangle, the same corner
// MoveWindow sets.
func WindowPosition(handle uintptr) (x, y int, err error) {
	var r windows.Rect
	if ok, _, e := procGetWindowRect.Call(handle, uintptr(unsafe.Pointer(&r))); ok == 0 {
		return 0, 0, fmt.Errorf("%w: GetWindowRect: %v", ErrWindowPosition, e)
	}
	return int(r.Left), int(r.Top), nil
}

// MoveWindow puts the window's top-left corner at x, y, unless that point
// is on no monitor (one was unplugged since): then the window stays where
// Windows put it.
func MoveWindow(handle uintptr, x, y int) error {
	// The 1×1 rectangle at the corner asks what MonitorFromPoint would, but
	// by pointer: a POINT passed by value is split differently per
	// architecture.
	corner := windows.Rect{Left: int32(x), Top: int32(y), Right: int32(x) + 1, Bottom: int32(y) + 1}
	if m, _, _ := procMonitorFromRect.Call(uintptr(unsafe.Pointer(&corner)), monitorDefaultToNull); m == 0 {
		return fmt.Errorf("%w: %d,%d is on no monitor", ErrWindowPosition, x, y)
	}
	const flags = swpNoSize | swpNoZOrder | swpNoActivate
	if ok, _, e := procSetWindowPos.Call(handle, 0, uintptr(x), uintptr(y), 0, 0, flags); ok == 0 {
		return fmt.Errorf("%w: SetWindowPos: %v", ErrWindowPosition, e)
	}
	return nil
}
