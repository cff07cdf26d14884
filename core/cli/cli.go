// Package cli implements codextray's command-line commands. It owns argument
// parsing and exit codes (docs/DESIGN.md) and uses only core packages, so every
// command works without a display.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/BurntSushi/toml"

	"github.com/codextray/codextray/core/history"
	"github.com/codextray/codextray/core/login"
)

// Exit codes, as docs/DESIGN.md fixes them.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitLoginNeeded = 3
	ExitUsageLimit  = 4
)

// Env is what a command may touch besides the core services.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// FyneAppTOML is the project's FyneApp.toml, embedded by main.
	FyneAppTOML []byte
	// Services, when set, sees a command's login services once they are
	// built, before the command uses them (tests: a gate that releases
	// several processes together, a crash point in a write).
	Services func(*login.Service)
	// History, when set, changes how the history database is opened
	// (tests: a pragma that makes SQLite report a full disk).
	History []history.Option
}

// IsCommand reports whether args name a command-line command; otherwise
// they start the tray app (no arguments, or --open).
func IsCommand(args []string) bool {
	if len(args) == 0 {
		return false
	}
	// -open=chat as well as --open chat: Go's flag syntax takes both.
	a := args[0]
	return !strings.HasPrefix(a, "--open") && !strings.HasPrefix(a, "-open")
}

// Run runs the command in args (without the program name) and returns its
// exit code.
func Run(args []string, env Env) int {
	if len(args) == 0 {
		return badUsage(env, "")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "status":
		return runStatus(ctx, args[1:], env)
	case "version", "--version", "-version":
		return runVersion(env)
	case "help", "--help", "-help", "-h":
		printUsage(env.Stdout)
		return ExitOK
	case "refresh":
		return runRefresh(ctx, args[1:], env)
	case "restore":
		return runRestore(ctx, args[1:], env)
	case "history":
		return runHistory(ctx, args[1:], env)
	case "models":
		return runModels(ctx, args[1:], env)
	case "usage":
		return runUsage(ctx, args[1:], env)
	case "chat":
		return runChat(ctx, args[1:], env)
	case "login":
		return runLogin(ctx, args[1:], env)
	}
	return badUsage(env, fmt.Sprintf("unknown command %q", args[0]))
}

func badUsage(env Env, msg string) int {
	if msg != "" {
		fmt.Fprintf(env.Stderr, "codextray: %s\n\n", msg)
	}
	printUsage(env.Stderr)
	return ExitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  codextray                         start the tray app
  codextray --open chat|status|signin
                                    start (or reach the running instance) and open that window
  codextray status [--json] [--watch] [--reminder 24h]
  codextray login [--device|--browser]
                                    sign Codex in (Codex's own sign-in): prints the page and the code, waits
  codextray refresh                 refresh the ChatGPT tokens now (same lock protocol as Codex)
  codextray restore                 put back a lost login from the keychain mirror
  codextray models [--json]         the models your login can use
  codextray usage [--json]          every usage window, its pace, and the reset credits
  codextray usage --check PCT       exit 4 when any window is at or above PCT %
  codextray usage --history [--since 7d] [--json]   the stored usage samples
  codextray usage redeem [--credit ID] --yes        redeem a reset credit
  codextray chat [--model SLUG] [--effort LEVEL] [--image FILE]... [--json] [--no-history] [--continue ID] PROMPT|-
  codextray history list|show ID|search QUERY|export ID DIR [--json]
  codextray version

Exit codes: 0 success, 1 failure, 2 bad usage, 3 login needed, 4 usage limit reached.
`)
}

// newFlags returns a flag set that reports errors through env and never exits.
func newFlags(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("codextray "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parseNoArgs parses the flags of a command that takes no arguments: false,
// after saying why, for a bad flag (the flag package says it) or an
// argument.
func parseNoArgs(fs *flag.FlagSet, args []string, env Env) bool {
	if err := fs.Parse(args); err != nil {
		return false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return false
	}
	return true
}

// Version is the app's version from FyneApp.toml and the commit it was
// built from.
type Version struct {
	Version string
	Commit  string
}

// ReadVersion reads the version from the embedded FyneApp.toml and the commit
// from the build information Go stamps into the binary.
func ReadVersion(fyneAppTOML []byte) Version {
	v := Version{Version: "dev", Commit: "unknown"}
	var meta struct {
		Details struct{ Version string } `toml:"Details"`
	}
	if _, err := toml.Decode(string(fyneAppTOML), &meta); err == nil && meta.Details.Version != "" {
		v.Version = meta.Details.Version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		dirty := false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
				if len(v.Commit) > 12 {
					v.Commit = v.Commit[:12]
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if dirty && v.Commit != "unknown" {
			v.Commit += "-dirty"
		}
	}
	if commit != "" {
		v.Commit = commit
	}
	return v
}

// commit can be stamped with -ldflags "-X github.com/codextray/codextray/core/cli.commit=…"
// where the build has no VCS information (release tarballs).
var commit string

func runVersion(env Env) int {
	v := ReadVersion(env.FyneAppTOML)
	fmt.Fprintf(env.Stdout, "codextray %s (commit %s)\n", v.Version, v.Commit)
	return ExitOK
}
