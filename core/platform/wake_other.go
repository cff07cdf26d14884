//go:build !linux

package platform

import (
	"context"
	"errors"
)

// WatchWakeAndNetwork is Linux-only for now: elsewhere the poller notices
// a wake by the wall clock's jump.
func WatchWakeAndNetwork(ctx context.Context, kick func()) error {
	return errors.New("wake and network events are not followed on this system")
}
