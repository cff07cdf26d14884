// Package view is what every view of the app shows, without Fyne: the one
// State the tray menu, the status and settings windows and the chat are
// drawn from, the names of the app's windows (Window), and the lines built
// from them (account, token, usage) with the State's core/textfmt Format,
// the one formatter of the command line and every window, so that no two
// views disagree. It does no I/O and starts no goroutine.
package view
