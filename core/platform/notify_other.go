//go:build !linux || flatpak

package platform

// Notify is not available without Fyne here.
func Notify(appID, title, body string, icon []byte) error { return ErrNoNotify }
