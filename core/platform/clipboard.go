package platform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// ErrNoClipboardImage means the clipboard holds no image.
var ErrNoClipboardImage = errors.New("the clipboard holds no image")

// maxClipboardImage bounds what is read from the clipboard (the chat
// re-encodes large images afterwards).
const maxClipboardImage = 64 << 20

// imageTypes are the clipboard targets tried, most faithful first.
var imageTypes = []string{"image/png", "image/jpeg", "image/webp", "image/gif"}

// ClipboardImage returns the image on the clipboard and a name for it.
// Fyne's clipboard holds text only, so this asks the system's own tools:
// wl-paste or xclip on Linux, osascript on macOS, PowerShell on Windows.
func ClipboardImage(ctx context.Context) (string, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	switch runtime.GOOS {
	case "darwin":
		return viaTempFile(ctx, "osascript", "-e", `set f to open for access POSIX file "%s" with write permission`,
			"-e", `write (the clipboard as «class PNGf») to f`, "-e", "close access f")
	case "windows":
		return viaTempFile(ctx, "powershell", "-NoProfile", "-Command",
			`Add-Type -AssemblyName System.Windows.Forms; $i=[Windows.Forms.Clipboard]::GetImage(); if ($i -eq $null) { exit 1 }; $i.Save('%s', [System.Drawing.Imaging.ImageFormat]::Png)`)
	}
	var targets func() ([]string, error)
	var read func(mime string) ([]byte, error)
	switch {
	case os.Getenv("WAYLAND_DISPLAY") != "" && has("wl-paste"):
		targets = func() ([]string, error) { return lines(run(ctx, "wl-paste", "--list-types")) }
		read = func(mime string) ([]byte, error) { return run(ctx, "wl-paste", "--no-newline", "--type", mime) }
	case has("xclip"):
		targets = func() ([]string, error) {
			return lines(run(ctx, "xclip", "-selection", "clipboard", "-t", "TARGETS", "-o"))
		}
		read = func(mime string) ([]byte, error) {
			return run(ctx, "xclip", "-selection", "clipboard", "-t", mime, "-o")
		}
	default:
		return "", nil, errors.New("pasting images needs xclip (X11) or wl-clipboard (Wayland); drop the file on the window instead")
	}
	have, err := targets()
	if err != nil {
		return "", nil, ErrNoClipboardImage
	}
	for _, mime := range imageTypes {
		for _, t := range have {
			if t == mime {
				data, err := read(mime)
				if err != nil || len(data) == 0 {
					return "", nil, fmt.Errorf("cannot read the image on the clipboard: %v", err)
				}
				return "pasted" + strings.Replace(mime, "image/", ".", 1), data, nil
			}
		}
	}
	return "", nil, ErrNoClipboardImage
}

func has(tool string) bool {
	_, err := exec.LookPath(tool)
	return err == nil
}

func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = &limitedWriter{w: &out, n: maxClipboardImage}
	if err := cmd.Run(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func lines(b []byte, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b)), nil
}

// viaTempFile runs a tool that writes the clipboard's image to a file (its
// arguments hold one %s for the path).
func viaTempFile(ctx context.Context, name string, args ...string) (string, []byte, error) {
	dir, err := os.MkdirTemp("", "codextray-paste")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "pasted.png")
	for i, a := range args {
		if strings.Contains(a, "%s") {
			args[i] = fmt.Sprintf(a, path)
		}
	}
	if err := exec.CommandContext(ctx, name, args...).Run(); err != nil {
		return "", nil, ErrNoClipboardImage
	}
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return "", nil, ErrNoClipboardImage
	}
	return "pasted.png", data, nil
}

// limitedWriter stops accepting bytes after n.
type limitedWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.w.Len()+len(p) > l.n {
		return 0, errors.New("the clipboard image is too large")
	}
	return l.w.Write(p)
}
