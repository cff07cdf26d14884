// Package assets owns the app's icons: the application icon and one tray icon
// per login state, drawn as SVG under src/ and rendered to the embedded PNGs
// by `make icons`.
package assets

import (
	"embed"
	"path"

	"fyne.io/fyne/v2"
)

//go:embed icon.png icons/icon-64.png tray/*.png tray/template/*.png
var files embed.FS

// AppIcon is the application icon (512 px).
var AppIcon = resource("icon.png")

// TrayStartIcon is the application icon at the tray icons' size (64 px),
// the tray's picture until the login's state is known. A tray sends its
// picture as raw pixels over D-Bus, encoded anew for each read by the tray
// host, so the 512 px AppIcon there (1 MB of pixels) cost a starting tray
// megabytes of memory.
var TrayStartIcon = resource("icons/icon-64.png")

// trayIcons holds one icon per tray picture; several login states share one.
var trayIcons = map[string]fyne.Resource{
	"valid":            resource("tray/valid.png"),
	"expiring":         resource("tray/expiring.png"),
	"expired":          resource("tray/expired.png"),
	"relogin_required": resource("tray/relogin.png"),
	"logged_out":       resource("tray/relogin.png"),
	"api_key":          resource("tray/apikey.png"),
	"error":            resource("tray/error.png"),
}

// TrayIcon returns the tray icon for a login state as `codextray status`
// names it ("valid", "expiring", "expired", "relogin_required", "logged_out",
// "api_key", "error"). An unknown state gets the error icon.
func TrayIcon(state string) fyne.Resource {
	if r, ok := trayIcons[state]; ok {
		return r
	}
	return trayIcons["error"]
}

// TrayTemplateIcon is the macOS template (monochrome, alpha-only) version of
// TrayIcon(state): the menu bar tints it for light and dark mode. The shapes
// (badge and glyph) still tell the states apart. Made by `make icons`.
func TrayTemplateIcon(state string) []byte {
	name := trayIcons[state]
	if name == nil {
		name = trayIcons["error"]
	}
	b, err := files.ReadFile("tray/template/" + path.Base(name.Name()))
	if err != nil {
		panic("assets: missing embedded template for " + name.Name())
	}
	return b
}

func resource(name string) fyne.Resource {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("assets: missing embedded file " + name) // a build mistake, caught by the tests
	}
	return fyne.NewStaticResource(name, b)
}
