// Package view is what every view of the app shows, without Fyne: the one
// State the tray menu, the status and settings windows and the chat are
// drawn from, the names of the app's windows (Window), and the one
// Format that turns times, usage windows, durations and counts into the
// words all of them show, so that no two views disagree. It does no I/O
// and starts no goroutine.
package view
