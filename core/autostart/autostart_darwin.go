//go:build darwin

package autostart

import (
	"fmt"
	"os"
)

// entry is the LaunchAgent in ~/Library/LaunchAgents.
func entry() (fileEntry, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return fileEntry{}, fmt.Errorf("find the LaunchAgents directory: %w", err)
	}
	return launchAgentEntry(home), nil
}
