// Command codextray is a tray app for the OpenAI Codex CLI's ChatGPT login.
// main only reads its arguments and hands over: a command-line command runs
// in core/cli; --window-host runs the window host (ui/host) the tray
// process starts; anything else reaches the running instance or starts the
// tray (ui/tray). wire.go builds each process's services once.
package main

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/codextray/codextray/core/cli"
	"github.com/codextray/codextray/ui/view"
)

//go:embed FyneApp.toml
var fyneAppTOML []byte

// windowHostFlag starts the window host: the tray process runs the
// program again with it when a window is asked for.
const windowHostFlag = "--window-host"

func main() {
	args := os.Args[1:]
	var err error
	switch {
	case len(args) == 1 && args[0] == windowHostFlag:
		err = runWindowHost()
	case cli.IsCommand(args):
		os.Exit(cli.Run(args, cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, FyneAppTOML: fyneAppTOML}))
	default:
		var open string
		if open, err = openFlag(args); err != nil {
			fmt.Fprintln(os.Stderr, "codextray:", err)
			os.Exit(cli.ExitUsage)
		}
		err = runTray(open)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "codextray:", err)
		os.Exit(cli.ExitFailure)
	}
}

// openFlag reads `--open chat|status` (also -open, and =chat); "" when
// absent.
func openFlag(args []string) (string, error) {
	if len(args) == 0 {
		return "", nil
	}
	val, ok := "", false
	switch {
	case len(args) == 2 && (args[0] == "--open" || args[0] == "-open"):
		val, ok = args[1], true
	case len(args) == 1:
		for _, p := range []string{"--open=", "-open="} {
			if v, found := strings.CutPrefix(args[0], p); found {
				val, ok = v, true
			}
		}
	}
	if w, known := view.ParseWindow(val); !ok || !known || (w != view.Chat && w != view.Status) || val == "" {
		return "", errors.New("usage: codextray [--open chat|status]")
	}
	return val, nil
}
