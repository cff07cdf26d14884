//go:build !linux || flatpak

package platform

import "context"

// NotifyAction: notifications with buttons go through the window host
// here, without the button.
func NotifyAction(ctx context.Context, appID, title, body string, icon []byte, label string, onAction func()) error {
	return ErrNoNotify
}
