package assets

import (
	"bytes"
	"image/png"
	"testing"
)

func TestTrayIconPerState(t *testing.T) {
	for _, tc := range []struct{ state, file string }{
		{"valid", "tray/valid.png"},
		{"expiring", "tray/expiring.png"},
		{"expired", "tray/expired.png"},
		{"relogin_required", "tray/relogin.png"},
		{"logged_out", "tray/relogin.png"},
		{"api_key", "tray/apikey.png"},
		{"error", "tray/error.png"},
		{"", "tray/error.png"},
		{"something-new", "tray/error.png"},
	} {
		r := TrayIcon(tc.state)
		if r.Name() != tc.file {
			t.Errorf("TrayIcon(%q) = %s, want %s", tc.state, r.Name(), tc.file)
		}
	}
}

func TestIconsArePNGs(t *testing.T) {
	check := func(name string, content []byte, size int) {
		t.Helper()
		cfg, err := png.DecodeConfig(bytes.NewReader(content))
		if err != nil {
			t.Fatalf("%s: not a PNG: %v", name, err)
		}
		if cfg.Width != size || cfg.Height != size {
			t.Errorf("%s is %dx%d, want %dx%d", name, cfg.Width, cfg.Height, size, size)
		}
	}
	check(AppIcon.Name(), AppIcon.Content(), 512)
	check(TrayStartIcon.Name(), TrayStartIcon.Content(), 64)
	for state, r := range trayIcons {
		check(state+" "+r.Name(), r.Content(), 64)
	}
}

// The tray states must look different from each other, not only by name.
func TestTrayIconsDiffer(t *testing.T) {
	seen := map[string]string{}
	for _, name := range []string{"valid", "expiring", "expired", "relogin_required", "api_key", "error"} {
		c := string(TrayIcon(name).Content())
		if other, ok := seen[c]; ok {
			t.Errorf("%s and %s have the same icon", name, other)
		}
		seen[c] = name
	}
}

// The macOS template icons are black with only their opacity varying, and
// each state keeps a shape of its own.
func TestTrayTemplateIcons(t *testing.T) {
	seen := map[string]string{}
	for _, st := range []string{"valid", "expiring", "expired", "relogin_required", "api_key", "error"} {
		b := TrayTemplateIcon(st)
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", st, err)
		}
		opaque := 0
		bounds := img.Bounds()
		for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
			for x := bounds.Min.X; x < bounds.Max.X; x++ {
				r, g, bl, a := img.At(x, y).RGBA()
				if a > 0 && (r|g|bl) != 0 {
					t.Fatalf("%s: pixel %d,%d is not black", st, x, y)
				}
				if a > 0x8000 {
					opaque++
				}
			}
		}
		if opaque < 200 {
			t.Errorf("%s: only %d opaque pixels", st, opaque)
		}
		key := string(b)
		if other, dup := seen[key]; dup {
			t.Errorf("%s and %s have the same template icon", st, other)
		}
		seen[key] = st
	}
	if !bytes.Equal(TrayTemplateIcon("logged_out"), TrayTemplateIcon("relogin_required")) {
		t.Error("logged_out and relogin_required should share the sign-in icon")
	}
}
