package autostart

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
)

func TestXDGEntryEnableDisable(t *testing.T) {
	for _, dirExists := range []bool{true, false} {
		name := "autostart dir exists"
		if !dirExists {
			name = "autostart dir missing"
		}
		t.Run(name, func(t *testing.T) {
			config := t.TempDir()
			dir := filepath.Join(config, "autostart")
			if dirExists {
				mustMkdir(t, dir)
			}
			e := xdgEntry(config)
			checkEnabled(t, e, false)
			exe := "/opt/Codex Tray/codextray"
			if err := e.enable(exe); err != nil {
				t.Fatal(err)
			}
			checkEnabled(t, e, true)
			b, err := os.ReadFile(filepath.Join(dir, ID+".desktop"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b, []byte("\nExec=\"/opt/Codex Tray/codextray\"\n")) {
				t.Errorf("entry has no quoted Exec:\n%s", b)
			}
			// Enable again (a moved binary) keeps the record of the created directory.
			if err := e.enable("/usr/bin/codextray"); err != nil {
				t.Fatal(err)
			}
			if err := e.disable(); err != nil {
				t.Fatal(err)
			}
			checkEnabled(t, e, false)
			_, err = os.Stat(dir)
			if dirExists && err != nil {
				t.Errorf("Disable removed the autostart directory it did not create: %v", err)
			}
			if !dirExists && !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Disable left the autostart directory that Enable created: %v", err)
			}
			if err := e.disable(); err != nil {
				t.Errorf("second Disable: %v", err)
			}
		})
	}
}

func TestXDGEntryDisableKeepsOthers(t *testing.T) {
	config := t.TempDir()
	e := xdgEntry(config)
	if err := e.enable("/usr/bin/codextray"); err != nil {
		t.Fatal(err)
	}
	// Another program's entry arrives after Enable created the directory.
	other := filepath.Join(config, "autostart", "other.desktop")
	if err := os.WriteFile(other, []byte("[Desktop Entry]\nType=Application\nName=Other\nExec=other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.disable(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("Disable touched another entry: %v", err)
	}
	if _, err := os.Stat(e.path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Disable left its own entry: %v", err)
	}
}

func TestXDGEntryForeignFileLeftAlone(t *testing.T) {
	config := t.TempDir()
	mustMkdir(t, filepath.Join(config, "autostart"))
	e := xdgEntry(config)
	foreign := []byte("[Desktop Entry]\nType=Application\nName=Codex Tray\nExec=my-wrapper\n")
	if err := os.WriteFile(e.path, foreign, 0o644); err != nil {
		t.Fatal(err)
	}
	checkEnabled(t, e, false)
	if err := e.enable("/usr/bin/codextray"); !errors.Is(err, ErrNotOurs) {
		t.Errorf("Enable over a foreign entry: %v, want ErrNotOurs", err)
	}
	if err := e.disable(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(e.path); err != nil || !bytes.Equal(b, foreign) {
		t.Errorf("foreign entry changed: %q, %v", b, err)
	}
}

func TestXDGEntrySwitchedOffBySession(t *testing.T) {
	for _, key := range []string{"Hidden=true", "X-GNOME-Autostart-enabled=false"} {
		t.Run(key, func(t *testing.T) {
			e := xdgEntry(t.TempDir())
			if err := e.enable("/usr/bin/codextray"); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(e.path)
			b = bytes.Replace(b, []byte("X-GNOME-Autostart-enabled=true\n"), []byte(key+"\n"), 1)
			if err := os.WriteFile(e.path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			checkEnabled(t, e, false)
			if err := e.enable("/usr/bin/codextray"); err != nil {
				t.Fatal(err)
			}
			checkEnabled(t, e, true)
		})
	}
}

func TestEnableNeedsAbsolutePath(t *testing.T) {
	e := xdgEntry(t.TempDir())
	for _, exe := range []string{"", "codextray", "bin/codextray"} {
		if err := e.enable(exe); err == nil {
			t.Errorf("Enable(%q) succeeded", exe)
		}
	}
	if _, err := os.Stat(filepath.Dir(e.path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused Enable created the directory: %v", err)
	}
}

func TestDesktopExec(t *testing.T) {
	for exe, want := range map[string]string{
		"/usr/bin/codextray":      `"/usr/bin/codextray"`,
		"/home/a b/codextray":     `"/home/a b/codextray"`,
		`/home/$x/"q"/co` + "`x`": `"/home/\\$x/\\"q\\"/co\\` + "`x\\\\`" + `"`,
		`/home/a\b/codextray`:     `"/home/a\\\\b/codextray"`,
		"/home/100%/codextray":    `"/home/100%%/codextray"`,
	} {
		if got := desktopExec(exe); got != want {
			t.Errorf("desktopExec(%q) = %s, want %s", exe, got, want)
		}
	}
}

func TestLaunchAgentEnableDisable(t *testing.T) {
	home := t.TempDir()
	e := launchAgentEntry(home)
	exe := "/Applications/Codex Tray.app/Contents/MacOS/codextray"
	if err := e.enable(exe); err != nil {
		t.Fatal(err)
	}
	checkEnabled(t, e, true)
	b, err := os.ReadFile(filepath.Join(home, "Library", "LaunchAgents", ID+".plist"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := PlistDict(b)
	if err != nil {
		t.Fatal(err)
	}
	if d["Label"] != ID || d["RunAtLoad"] != true || !reflect.DeepEqual(d["ProgramArguments"], []any{exe}) {
		t.Errorf("LaunchAgent = %v", d)
	}
	if err := e.disable(); err != nil {
		t.Fatal(err)
	}
	checkEnabled(t, e, false)
	if _, err := os.Stat(filepath.Join(home, "Library", "LaunchAgents")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Disable left the LaunchAgents directory Enable created: %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, "Library")); err != nil {
		t.Errorf("Disable removed ~/Library: %v", err)
	}
}

func TestLaunchAgentPlistEscapes(t *testing.T) {
	exe := "/Users/a&b/<x>/codextray"
	d, err := PlistDict(LaunchAgentPlist(exe, false))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d["ProgramArguments"], []any{exe}) {
		t.Errorf("ProgramArguments = %v", d["ProgramArguments"])
	}
	if _, ok := d[launchAgentCreatedDirKey]; ok {
		t.Error("created-directory key without a created directory")
	}
}

// TestPackageAPI runs the exported functions against this OS's real
// location, redirected into a temp dir.
func TestPackageAPI(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	t.Setenv("HOME", config)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if on, err := Enabled(); err != nil || on {
		t.Fatalf("Enabled before Enable = %v, %v", on, err)
	}
	if err := Enable(exe); err != nil {
		t.Fatal(err)
	}
	if on, err := Enabled(); err != nil || !on {
		t.Fatalf("Enabled after Enable = %v, %v", on, err)
	}
	if err := Disable(); err != nil {
		t.Fatal(err)
	}
	if on, err := Enabled(); err != nil || on {
		t.Fatalf("Enabled after Disable = %v, %v", on, err)
	}
	left, _ := filepath.Glob(filepath.Join(config, "*"))
	if len(left) != 0 {
		t.Errorf("Disable left %v", left)
	}
}

func checkEnabled(t *testing.T, e fileEntry, want bool) {
	t.Helper()
	got, err := e.enabled()
	if err != nil || got != want {
		t.Fatalf("enabled() = %v, %v; want %v", got, err, want)
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestXDGEntryValidates runs desktop-file-validate (desktop-file-utils, which
// `make package` installs) on the entry when it is there.
func TestXDGEntryValidates(t *testing.T) {
	tool, err := exec.LookPath("desktop-file-validate")
	if err != nil {
		if runtime.GOOS != "linux" {
			t.Skipf("desktop-file-validate is a Linux tool; the XDG entry is not used on %s", runtime.GOOS)
		}
		t.Fatal("desktop-file-validate is missing (Debian: desktop-file-utils; packaging/linux/build-deps.sh test installs it)")
	}
	path := filepath.Join(t.TempDir(), ID+".desktop")
	if err := os.WriteFile(path, xdgDesktopFile(`/home/a b/$x/codextray`, true), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, path).CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("desktop-file-validate: %v\n%s", err, out)
	}
}
