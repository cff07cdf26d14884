package ui

// prefStore is the part of fyne.Preferences the controller and the
// notifier use. The window host passes Fyne's own preferences; the tray
// process, which runs no Fyne app, passes an appdata.FilePrefs on the
// same file.
type prefStore interface {
	String(key string) string
	SetString(key, value string)
	BoolWithFallback(key string, fallback bool) bool
	SetBool(key string, value bool)
	FloatWithFallback(key string, fallback float64) float64
	SetFloat(key string, value float64)
	RemoveValue(key string)
}
