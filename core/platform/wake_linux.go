//go:build linux

package platform

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// NetworkManager's NM_STATE_CONNECTED_SITE: from here on the backend may be
// reachable.
const nmConnectedSite = 60

// WatchWakeAndNetwork calls kick when the machine wakes from suspend
// (logind's PrepareForSleep(false)) and when NetworkManager reports a
// connection again, until ctx ends. Both come over the system bus; without
// one it returns an error at once, and the caller relies on noticing the
// wall clock jump instead.
func WatchWakeAndNetwork(ctx context.Context, kick func()) error {
	conn, err := dbus.ConnectSystemBus(dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("no system bus to learn about wakes and the network: %w", err)
	}
	defer conn.Close()
	for _, m := range [][]dbus.MatchOption{
		{dbus.WithMatchInterface("org.freedesktop.login1.Manager"), dbus.WithMatchMember("PrepareForSleep")},
		{dbus.WithMatchInterface("org.freedesktop.NetworkManager"), dbus.WithMatchMember("StateChanged")},
	} {
		if err := conn.AddMatchSignalContext(ctx, m...); err != nil {
			return fmt.Errorf("cannot follow wakes and the network: %w", err)
		}
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	connected := true // unknown at first: only a change to connected kicks
	for {
		select {
		case <-ctx.Done():
			return nil
		case s, ok := <-signals:
			if !ok {
				return fmt.Errorf("the system bus connection closed")
			}
			switch s.Name {
			case "org.freedesktop.login1.Manager.PrepareForSleep":
				if len(s.Body) == 1 && s.Body[0] == false {
					kick()
				}
			case "org.freedesktop.NetworkManager.StateChanged":
				st, ok := s.Body[0].(uint32)
				if len(s.Body) != 1 || !ok {
					continue
				}
				now := st >= nmConnectedSite
				if now && !connected {
					kick()
				}
				connected = now
			}
		}
	}
}
