// Command codextray is a tray app for the OpenAI Codex CLI's ChatGPT login.
// main only wires: a command-line command runs in core/cli; anything else
// starts the tray app in ui with the core services it needs.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/cli"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/ui"
)

//go:embed FyneApp.toml
var fyneAppTOML []byte

func main() {
	args := os.Args[1:]
	env := cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, FyneAppTOML: fyneAppTOML}
	if cli.IsCommand(args) {
		os.Exit(cli.Run(args, env))
	}
	if err := runTray(); err != nil {
		fmt.Fprintln(os.Stderr, "codextray:", err)
		os.Exit(cli.ExitFailure)
	}
}

func runTray() error {
	version := cli.ReadVersion(fyneAppTOML).Version
	svc, err := login.New(version)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	set := login.SettingsFromPreferences()
	set.MaintainMirror = true
	statuses := make(chan auth.Status)
	go func() { _ = svc.Watch(ctx, set, statuses) }()
	return ui.Run(ui.Options{Status: statuses, Version: version})
}
