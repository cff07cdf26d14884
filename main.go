// Command codextray is a tray app for the OpenAI Codex CLI's ChatGPT login.
// main only wires: a command-line command runs in core/cli; anything else
// reaches the running instance or starts the tray (ui.RunTray) with the
// core services it needs (adapters in adapt.go). The tray starts the
// program again with --window-host when a window is asked for
// (ui.RunWindowHost).
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/codextray/codextray/core/cli"
	"github.com/codextray/codextray/core/instance"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/core/platform"
	_ "github.com/codextray/codextray/internal/fynelocale" // before Fyne reads the locale: no "Fyne error" lines on stderr
	"github.com/codextray/codextray/ui"
)

//go:embed FyneApp.toml
var fyneAppTOML []byte

func main() {
	args := os.Args[1:]
	env := cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, FyneAppTOML: fyneAppTOML}
	if len(args) == 1 && args[0] == windowHostFlag {
		if err := runWindowHost(); err != nil {
			fmt.Fprintln(os.Stderr, "codextray:", err)
			os.Exit(cli.ExitFailure)
		}
		return
	}
	if cli.IsCommand(args) {
		os.Exit(cli.Run(args, env))
	}
	open, err := openFlag(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "codextray:", err)
		os.Exit(cli.ExitUsage)
	}
	if err := runTray(open); err != nil {
		fmt.Fprintln(os.Stderr, "codextray:", err)
		os.Exit(cli.ExitFailure)
	}
}

// openFlag reads `--open chat|status` (or --open=chat); "" when absent.
func openFlag(args []string) (string, error) {
	var val string
	switch {
	case len(args) == 0:
		return "", nil
	case len(args) == 2 && (args[0] == "--open" || args[0] == "-open"):
		val = args[1]
	case len(args) == 1 && strings.HasPrefix(args[0], "--open="):
		val = strings.TrimPrefix(args[0], "--open=")
	case len(args) == 1 && strings.HasPrefix(args[0], "-open="):
		val = strings.TrimPrefix(args[0], "-open=")
	}
	if val != "chat" && val != "status" {
		return "", errors.New("usage: codextray [--open chat|status]")
	}
	return val, nil
}

func runTray(open string) error {
	srv, err := instance.Claim(instance.SocketPath(os.Getenv), instance.Request{Open: open})
	if errors.Is(err, instance.ErrHandedOver) {
		return nil // the running instance opens the window
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	opts, _, stop, err := options()
	if err != nil {
		return err
	}
	defer stop()
	requests := make(chan string)
	go forwardRequests(opts.Context, srv, open, requests)
	opts.Requests = requests
	opts.WindowHost = func() *exec.Cmd {
		cmd := exec.Command(exe, windowHostFlag)
		if os.Stderr != nil { // nil in a Windows GUI program without a console
			cmd.Stderr = os.Stderr
		}
		return cmd
	}
	return ui.RunTray(opts)
}

// options are the core services the tray and the window host both use,
// with a context that SIGINT or SIGTERM ends (stop releases it).
func options() (ui.Options, *login.Service, context.CancelFunc, error) {
	version := cli.ReadVersion(fyneAppTOML).Version
	svc, err := login.New(version)
	if err != nil {
		return ui.Options{}, nil, nil, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	return ui.Options{
		Context:      ctx,
		Version:      version,
		Watch:        svc.Watch,
		Backend:      newBackend(svc, version),
		Login:        loginActions{svc},
		SignIn:       func() error { return platform.OpenInTerminal(platform.LoginCommand) },
		StartAtLogin: startAtLogin{},
	}, svc, stop, nil
}

// windowHostFlag starts the window host: the tray process runs the
// program again with it when a window is asked for (ui.RunWindowHost).
const windowHostFlag = "--window-host"

// runWindowHost runs the windows for the tray process that started it,
// taking its requests on stdin.
func runWindowHost() error {
	opts, svc, stop, err := options()
	if err != nil {
		return err
	}
	defer stop()
	opts.OpenChat = ui.ChatOpener(chatDeps(svc, opts.Version, opts.Backend))
	return ui.RunWindowHost(opts, os.Stdin, os.Stdout)
}

// forwardRequests hands the first start's own --open and every later
// start's request to the app until ctx ends.
func forwardRequests(ctx context.Context, srv *instance.Server, open string, out chan<- string) {
	reqs := make(chan instance.Request)
	go func() { _ = srv.Serve(ctx, reqs) }()
	if open != "" {
		select {
		case out <- open:
		case <-ctx.Done():
			return
		}
	}
	for {
		select {
		case r := <-reqs:
			select {
			case out <- r.Open:
			case <-ctx.Done():
				return
			}
		case <-ctx.Done():
			return
		}
	}
}
