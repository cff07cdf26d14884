//go:build linux && !flatpak

package platform

import (
	"context"
	"errors"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// NotifyAction shows a notification with one button (label) and calls
// onAction when the user clicks it or the notification itself. It waits
// for the click in the background on a connection of its own, until the
// notification is closed or ctx ends. A server without actions shows the
// notification without the button.
func NotifyAction(ctx context.Context, appID, title, body string, icon []byte, label string, onAction func()) error {
	if !SessionBusReachable() {
		return errors.New("no session bus for notifications")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return fmt.Errorf("no session bus for notifications: %w", err)
	}
	const iface = "org.freedesktop.Notifications"
	if err := conn.AddMatchSignal(dbus.WithMatchInterface(iface), dbus.WithMatchObjectPath("/org/freedesktop/Notifications")); err != nil {
		conn.Close()
		return fmt.Errorf("sending a notification: %w", err)
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	var id uint32
	err = conn.Object(iface, "/org/freedesktop/Notifications").Call(iface+".Notify", 0, appID, uint32(0),
		iconPath(appID, icon), title, body, []string{"default", label, actionKey, label}, map[string]dbus.Variant{}, int32(-1)).Store(&id)
	if err != nil {
		conn.Close()
		return fmt.Errorf("sending a notification: %w", err)
	}
	go func() { // owned by the notification: ends when it closes or ctx ends
		defer conn.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case s, ok := <-signals:
				if !ok {
					return
				}
				if len(s.Body) < 2 {
					continue
				}
				if sid, _ := s.Body[0].(uint32); sid != id {
					continue
				}
				switch s.Name {
				case iface + ".ActionInvoked":
					if key, _ := s.Body[1].(string); key == actionKey || key == "default" {
						onAction()
					}
					return
				case iface + ".NotificationClosed":
					return
				}
			}
		}
	}()
	return nil
}

// actionKey names the notification's button.
const actionKey = "act"
