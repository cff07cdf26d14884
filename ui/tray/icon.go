package tray

import (
	"runtime"
	"sync"

	"github.com/codextray/codextray/assets"
)

// trayPicture is the PNG the tray shows for a login state as the status
// names it, or for "" (no status yet): always a tray-sized picture.
func trayPicture(state string) []byte {
	if state == "" {
		return assets.TrayStartIcon.Content()
	}
	return assets.TrayIcon(state).Content()
}

var osIconOnce sync.Map // PNG → the OS's tray format, converted once

// osIcon is a PNG in the format the OS's tray takes: ICO on Windows (a PNG
// inside an ICO header), the PNG itself elsewhere.
func osIcon(png []byte) []byte {
	if runtime.GOOS != "windows" {
		return png
	}
	if ico, ok := osIconOnce.Load(string(png)); ok {
		return ico.([]byte)
	}
	ico := pngICO(png)
	osIconOnce.Store(string(png), ico)
	return ico
}

// pngICO wraps a PNG in a one-image ICO file (Windows Vista and later read
// PNG-compressed entries; a width and height of 0 mean 256 or more).
func pngICO(png []byte) []byte {
	w, h := 0, 0
	if len(png) >= 24 {
		w = int(png[16])<<24 | int(png[17])<<16 | int(png[18])<<8 | int(png[19])
		h = int(png[20])<<24 | int(png[21])<<16 | int(png[22])<<8 | int(png[23])
	}
	dim := func(n int) byte {
		if n <= 0 || n >= 256 {
			return 0
		}
		return byte(n)
	}
	n := len(png)
	hdr := []byte{
		0, 0, 1, 0, 1, 0, // reserved, type 1 (icon), one image
		dim(w), dim(h), 0, 0, 1, 0, 32, 0, // size, no palette, 1 plane, 32 bpp
		byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24),
		22, 0, 0, 0, // the image starts after this 22-byte header
	}
	return append(hdr, png...)
}
