// Package codexcli finds the Codex CLI installed on this machine and reads
// its version. Codex Tray reports the newer of that version and the one it
// was checked against as client_version (the backend hides models newer
// than the version it is told), shows it in `status`, and will run its
// `codex app-server`. It never imports Fyne.
package codexcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"
)

// CLI is an installed Codex CLI.
type CLI struct {
	Path    string `json:"path"`
	Version string `json:"version"` // MAJOR.MINOR.PATCH as `codex --version` prints it
}

// VersionTimeout bounds `codex --version`: the npm launcher starts node.
const VersionTimeout = 10 * time.Second

// ErrNotFound means no Codex CLI was found.
var ErrNotFound = errors.New("the Codex CLI was not found on PATH or in the usual install folders")

// Options say where to look. The zero value looks in the real places.
type Options struct {
	// Path is the path set in Settings; when set it wins, and an unusable
	// one is an error rather than a silent search elsewhere.
	Path string
	// Env and Home default to the process's; tests set them.
	Env  func(string) string
	Home string
	GOOS string
	// SystemDirs are the system-wide folders searched last; nil means
	// /usr/local/bin, /opt/homebrew/bin and /usr/bin (none on Windows).
	SystemDirs []string
}

// Find returns the Codex CLI to use and its version: the Settings path,
// else `codex` on PATH, else the usual install folders (npm's global
// prefix, ~/.npm-global/bin, ~/.local/bin, nvm, fnm and Volta folders,
// /usr/local/bin, /opt/homebrew/bin, %APPDATA%\npm on Windows).
func Find(ctx context.Context, o Options) (*CLI, error) {
	o.fill()
	if o.Path != "" {
		v, err := Version(ctx, o.Path)
		if err != nil {
			return nil, fmt.Errorf("the Codex CLI set in Settings (%s) does not run: %w", o.Path, err)
		}
		return &CLI{Path: o.Path, Version: v}, nil
	}
	var lastErr error
	for _, p := range Candidates(o) {
		v, err := Version(ctx, p)
		if err != nil {
			lastErr = err
			continue
		}
		return &CLI{Path: p, Version: v}, nil
	}
	if lastErr != nil {
		return nil, fmt.Errorf("%w (the last one found did not run: %v)", ErrNotFound, lastErr)
	}
	return nil, ErrNotFound
}

func (o *Options) fill() {
	if o.Env == nil {
		o.Env = os.Getenv
	}
	if o.Home == "" {
		o.Home, _ = os.UserHomeDir()
	}
	if o.GOOS == "" {
		o.GOOS = runtime.GOOS
	}
}

// Candidates lists the existing executable files named codex, in the
// order Find tries them, without duplicates.
func Candidates(o Options) []string {
	o.fill()
	names := []string{"codex"}
	if o.GOOS == "windows" {
		names = []string{"codex.cmd", "codex.exe", "codex.ps1", "codex"}
	}
	var dirs []string
	dirs = append(dirs, filepath.SplitList(o.Env("PATH"))...)
	if p := o.Env("NPM_CONFIG_PREFIX"); p != "" {
		dirs = append(dirs, npmBin(p, o.GOOS))
	}
	if p := npmrcPrefix(filepath.Join(o.Home, ".npmrc")); p != "" {
		dirs = append(dirs, npmBin(p, o.GOOS))
	}
	h := o.Home
	if h != "" {
		dirs = append(dirs,
			filepath.Join(h, ".npm-global", "bin"),
			filepath.Join(h, ".local", "bin"),
			filepath.Join(h, ".volta", "bin"),
		)
		dirs = append(dirs, newestFirst(filepath.Join(h, ".nvm", "versions", "node", "*", "bin"))...)
		for _, fnm := range []string{
			filepath.Join(h, ".local", "share", "fnm"), filepath.Join(h, ".fnm"),
			filepath.Join(h, "Library", "Application Support", "fnm"),
		} {
			dirs = append(dirs, newestFirst(filepath.Join(fnm, "node-versions", "*", "installation", "bin"))...)
		}
	}
	if d := o.Env("NVM_BIN"); d != "" {
		dirs = append(dirs, d)
	}
	if d := o.Env("VOLTA_HOME"); d != "" {
		dirs = append(dirs, filepath.Join(d, "bin"))
	}
	if o.GOOS == "windows" {
		if d := o.Env("APPDATA"); d != "" {
			dirs = append(dirs, filepath.Join(d, "npm"))
		}
	}
	if o.SystemDirs == nil && o.GOOS != "windows" {
		o.SystemDirs = []string{"/usr/local/bin", "/opt/homebrew/bin", "/usr/bin"}
	}
	dirs = append(dirs, o.SystemDirs...)
	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		if d == "" {
			continue
		}
		for _, n := range names {
			p := filepath.Join(d, n)
			if seen[p] {
				continue
			}
			seen[p] = true
			if isExecutable(p, o.GOOS) {
				out = append(out, p)
			}
		}
	}
	return out
}

func npmBin(prefix, goos string) string {
	if goos == "windows" {
		return prefix // npm puts the shims in the prefix itself there
	}
	return filepath.Join(prefix, "bin")
}

// npmrcPrefix reads prefix= from a .npmrc.
func npmrcPrefix(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.TrimSpace(k) == "prefix" {
			v = strings.Trim(strings.TrimSpace(v), `"'`)
			if strings.HasPrefix(v, "~/") {
				if h, err := os.UserHomeDir(); err == nil {
					v = filepath.Join(h, v[2:])
				}
			}
			return v
		}
	}
	return ""
}

// newestFirst globs pattern and sorts the matches by name, descending, so
// that v22.1.0 comes before v20.3.0 (good enough for node version folders).
func newestFirst(pattern string) []string {
	m, _ := filepath.Glob(pattern)
	sort.Sort(sort.Reverse(sort.StringSlice(m)))
	return m
}

func isExecutable(p, goos string) bool {
	fi, err := os.Stat(p)
	if err != nil || fi.IsDir() {
		return false
	}
	return goos == "windows" || fi.Mode()&0o111 != 0
}

var versionRE = regexp.MustCompile(`(\d+\.\d+\.\d+)`)

// Version runs `path --version` and returns the version it prints
// ("codex-cli 0.171.0" gives "0.171.0").
func Version(ctx context.Context, path string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, VersionTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--version")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("`%s --version` did not answer within %s", filepath.Base(path), VersionTimeout)
		}
		return "", fmt.Errorf("`%s --version`: %w", filepath.Base(path), err)
	}
	first, _, _ := strings.Cut(out.String(), "\n")
	m := versionRE.FindStringSubmatch(first)
	if m == nil {
		return "", fmt.Errorf("`%s --version` printed no version (%q)", filepath.Base(path), strings.TrimSpace(first))
	}
	return m[1], nil
}
