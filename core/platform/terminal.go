// Package platform starts things on the user's desktop that the tray app
// cannot do inside its own windows: for now, a terminal running a command
// (`codex login`, which needs a browser and a console of its own).
package platform

import (
	"errors"
	"os/exec"
	"runtime"
	"strings"
)

// ErrNoTerminal means no known terminal emulator was found.
var ErrNoTerminal = errors.New("no terminal emulator found")

// LoginCommand is the command that signs Codex in again.
const LoginCommand = "codex login"

// Terminal is a way to run a shell command in a new terminal window.
type Terminal struct {
	Name string   // e.g. "gnome-terminal"
	Argv []string // the full command line that opens it
}

// linuxTerminals are tried in order; each gets the shell script as its
// last arguments.
var linuxTerminals = []struct {
	name string
	args []string
}{
	{"x-terminal-emulator", []string{"-e"}},
	{"gnome-terminal", []string{"--"}},
	{"konsole", []string{"-e"}},
	{"xfce4-terminal", []string{"-x"}},
	{"xterm", []string{"-e"}},
}

// FindTerminal returns how to run command in a new terminal on goos, using
// lookPath (exec.LookPath) to find the programs; false when none is found.
// On Linux the window stays open after the command ends, so its last words
// can be read.
func FindTerminal(goos, command string, lookPath func(string) (string, error)) (Terminal, bool) {
	switch goos {
	case "darwin":
		if _, err := lookPath("osascript"); err != nil {
			return Terminal{}, false
		}
		script := `tell application "Terminal" to do script "` + strings.ReplaceAll(command, `"`, `\"`) + `"`
		return Terminal{Name: "Terminal", Argv: []string{"osascript", "-e", script, "-e", `tell application "Terminal" to activate`}}, true
	case "windows":
		return Terminal{Name: "cmd", Argv: []string{"cmd", "/c", "start", "Codex login", "cmd", "/k", command}}, true
	}
	keepOpen := command + `; printf '\nPress Enter to close this window. '; read _`
	for _, t := range linuxTerminals {
		if path, err := lookPath(t.name); err == nil {
			argv := append([]string{path}, t.args...)
			return Terminal{Name: t.name, Argv: append(argv, "sh", "-c", keepOpen)}, true
		}
	}
	return Terminal{}, false
}

// OpenInTerminal starts command in a new terminal window and returns once
// it is started; ErrNoTerminal when there is none. A goroutine reaps the
// terminal process when it exits.
func OpenInTerminal(command string) error {
	t, ok := FindTerminal(runtime.GOOS, command, exec.LookPath)
	if !ok {
		return ErrNoTerminal
	}
	cmd := exec.Command(t.Argv[0], t.Argv[1:]...)
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
