//go:build darwin && cgo

package platform

/*
#cgo CFLAGS: -x objective-c
#cgo LDFLAGS: -framework Cocoa
#import <Cocoa/Cocoa.h>

enum { placeOK, placeNotMainThread, placeNoScreen };

// Cocoa's origin is the primary screen's bottom-left corner, y up; the
// top-left coordinates used here count down from that screen's top edge.

static int windowTopLeft(uintptr_t handle, double *x, double *y) {
	if (![NSThread isMainThread]) return placeNotMainThread;
	@autoreleasepool {
		NSScreen *primary = [[NSScreen screens] firstObject];
		if (primary == nil) return placeNoScreen;
		NSRect f = [(NSWindow *)handle frame];
		*x = NSMinX(f);
		*y = NSMaxY(primary.frame) - NSMaxY(f);
		return placeOK;
	}
}

static int moveWindowTopLeft(uintptr_t handle, double x, double y) {
	if (![NSThread isMainThread]) return placeNotMainThread;
	@autoreleasepool {
		NSArray<NSScreen *> *screens = [NSScreen screens];
		NSScreen *primary = [screens firstObject];
		if (primary == nil) return placeNoScreen;
		NSPoint topLeft = NSMakePoint(x, NSMaxY(primary.frame) - y);
		// The window's first row lies just below its top edge
		// (NSPointInRect leaves a screen's top edge out).
		NSPoint corner = NSMakePoint(topLeft.x, topLeft.y - 1);
		for (NSScreen *s in screens) {
			if (NSPointInRect(corner, s.frame)) {
				[(NSWindow *)handle setFrameTopLeftPoint:topLeft];
				return placeOK;
			}
		}
		return placeNoScreen;
	}
}
*/
import "C"

import (
	"fmt"
	"math"
)

// WindowPosition returns where the window (an NSWindow pointer, from
// Fyne's driver.MacWindowContext) is: its top-left corner, in points from
// the primary screen's top-left corner. It must run on the main thread
// (Fyne's RunNative does).
func WindowPosition(handle uintptr) (x, y int, err error) {
	if handle == 0 {
		return 0, 0, fmt.Errorf("%w: no window", ErrWindowPosition)
	}
	var cx, cy C.double
	if err := placeErr(C.windowTopLeft(C.uintptr_t(handle), &cx, &cy), "no screen is connected"); err != nil {
		return 0, 0, err
	}
	return int(math.Round(float64(cx))), int(math.Round(float64(cy))), nil
}

// MoveWindow puts the window's top-left corner at x, y (as WindowPosition
// reports it), unless that point is on no screen (one was unplugged
// since): then the window stays where macOS put it. Main thread only.
func MoveWindow(handle uintptr, x, y int) error {
	if handle == 0 {
		return fmt.Errorf("%w: no window", ErrWindowPosition)
	}
	return placeErr(C.moveWindowTopLeft(C.uintptr_t(handle), C.double(x), C.double(y)),
		fmt.Sprintf("%d,%d is on no screen", x, y))
}

// placeErr turns a result of the C side into an error; noScreen says what
// placeNoScreen means for the call.
func placeErr(code C.int, noScreen string) error {
	switch code {
	case C.placeOK:
		return nil
	case C.placeNotMainThread:
		return fmt.Errorf("%w: AppKit windows are placed from the main thread only", ErrWindowPosition)
	default:
		return fmt.Errorf("%w: %s", ErrWindowPosition, noScreen)
	}
}
