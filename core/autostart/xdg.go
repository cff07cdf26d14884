package autostart

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Keys that mark the XDG entry as written by Enable.
const (
	xdgOursKey       = "X-Codextray-Autostart"
	xdgCreatedDirKey = "X-Codextray-Created-Directory"
)

// xdgEntry is the XDG autostart entry in configHome/autostart
// (Desktop Application Autostart Specification).
func xdgEntry(configHome string) fileEntry {
	return fileEntry{
		path:   filepath.Join(configHome, "autostart", ID+".desktop"),
		render: xdgDesktopFile,
		parse:  parseXDGDesktopFile,
	}
}

// xdgConfigHome is $XDG_CONFIG_HOME when it is absolute, else ~/.config.
func xdgConfigHome() (string, error) {
	if d := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the autostart directory: %w", err)
	}
	return filepath.Join(home, ".config"), nil
}

// xdgDesktopFile renders the autostart entry that starts exe.
func xdgDesktopFile(exe string, createdDir bool) []byte {
	var b strings.Builder
	b.WriteString("[Desktop Entry]\n")
	b.WriteString("Type=Application\n")
	b.WriteString("Name=" + Name + "\n")
	b.WriteString("Comment=Shows the Codex CLI login in the tray\n")
	b.WriteString("Exec=" + desktopExec(exe) + "\n")
	b.WriteString("Icon=" + ID + "\n")
	b.WriteString("Terminal=false\n")
	b.WriteString("X-GNOME-Autostart-enabled=true\n")
	b.WriteString(xdgOursKey + "=true\n")
	if createdDir {
		b.WriteString(xdgCreatedDirKey + "=true\n")
	}
	return []byte(b.String())
}

// desktopExec quotes exe for an Exec key: quoted as one argument, with
// the characters the spec reserves inside quotes backslash-escaped, then
// backslashes escaped again for the string value, and % doubled.
func desktopExec(exe string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range exe {
		switch r {
		case '"', '`', '$':
			b.WriteString(`\\`) // an escaping backslash, itself escaped for the string value
			b.WriteRune(r)
		case '\\':
			b.WriteString(`\\\\`)
		case '%':
			b.WriteString("%%")
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// parseXDGDesktopFile reads the keys of the [Desktop Entry] group that
// matter here. An entry the user switched off in their session settings
// (Hidden=true or X-GNOME-Autostart-enabled=false) is ours but not active.
func parseXDGDesktopFile(content []byte) (ours, active, createdDir bool) {
	active = true
	group := ""
	for _, line := range lines(content) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			group = line
			continue
		}
		if group != "[Desktop Entry]" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case xdgOursKey:
			ours = v == "true"
		case xdgCreatedDirKey:
			createdDir = v == "true"
		case "Hidden":
			if v == "true" {
				active = false
			}
		case "X-GNOME-Autostart-enabled":
			if v == "false" {
				active = false
			}
		}
	}
	return ours, active, createdDir
}
