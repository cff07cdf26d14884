//go:build linux

package platform

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// startBus runs a private dbus-daemon (the real one) standing in for the
// system bus, and returns its address.
func startBus(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("dbus-daemon is needed (Debian: apt-get install dbus): %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(line)
}

func TestWatchWakeAndNetwork(t *testing.T) {
	addr := startBus(t)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
	kicks := make(chan struct{}, 8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- WatchWakeAndNetwork(ctx, func() { kicks <- struct{}{} }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	emitter, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer emitter.Close()
	emit := func(path, name string, v any) {
		if err := emitter.Emit(dbus.ObjectPath(path), name, v); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(want bool, what string) {
		t.Helper()
		select {
		case <-kicks:
			if !want {
				t.Fatalf("kicked by %s", what)
			}
		case <-time.After(map[bool]time.Duration{true: 10 * time.Second, false: 300 * time.Millisecond}[want]):
			if want {
				t.Fatalf("no kick on %s", what)
			}
		}
	}
	// The watch subscribes asynchronously: repeat the first wake signal
	// until it is seen.
	deadline := time.Now().Add(10 * time.Second)
	for seen := false; !seen; {
		emit("/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", false)
		select {
		case <-kicks:
			seen = true
		case <-time.After(100 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no kick on a wake")
			}
		}
	}
	for len(kicks) > 0 {
		<-kicks
	}
	emit("/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", true)
	expect(false, "going to sleep")
	emit("/org/freedesktop/NetworkManager", "org.freedesktop.NetworkManager.StateChanged", uint32(70))
	expect(false, "a connection that was already up")
	emit("/org/freedesktop/NetworkManager", "org.freedesktop.NetworkManager.StateChanged", uint32(20))
	expect(false, "the network going away")
	emit("/org/freedesktop/NetworkManager", "org.freedesktop.NetworkManager.StateChanged", uint32(70))
	expect(true, "the network coming back")
}
