package platform

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestClipboardImageFromX puts a PNG on a real X clipboard (xclip as the
// owner, under Xvfb) and reads it back.
func TestClipboardImageFromX(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("the X clipboard is Linux's; %s has its own", runtime.GOOS)
	}
	if os.Getenv("DISPLAY") == "" || !has("xclip") {
		t.Fatal("needs an X display and xclip: run inside packaging/linux/test-session.sh (make test; build-deps.sh test installs xclip)")
	}
	t.Setenv("WAYLAND_DISPLAY", "")
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var want bytes.Buffer
	if err := png.Encode(&want, img); err != nil {
		t.Fatal(err)
	}
	owner := exec.Command("xclip", "-quiet", "-selection", "clipboard", "-t", "image/png", "-i")
	owner.Stdin = bytes.NewReader(want.Bytes())
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = owner.Process.Kill(); _ = owner.Wait() })

	// xclip owns the selection once it has read its input; poll until it does.
	deadline := time.Now().Add(5 * time.Second)
	for {
		name, got, err := ClipboardImage(context.Background())
		if err == nil {
			if name != "pasted.png" || !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("got %s, %d bytes", name, len(got))
			}
			break
		}
		if time.Now().After(deadline) {
			out, terr := exec.Command("xclip", "-selection", "clipboard", "-t", "TARGETS", "-o").CombinedOutput()
			t.Fatalf("no image on the clipboard: %v (targets %q, %v)", err, out, terr)
		}
		time.Sleep(20 * time.Millisecond) // polling another process's X selection
	}

	// Text on the clipboard is not an image.
	_ = owner.Process.Kill()
	_ = owner.Wait()
	text := exec.Command("xclip", "-quiet", "-selection", "clipboard", "-i")
	text.Stdin = strings.NewReader("just words")
	if err := text.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = text.Process.Kill(); _ = text.Wait() })
	deadline = time.Now().Add(5 * time.Second)
	for {
		out, _ := exec.Command("xclip", "-selection", "clipboard", "-o").Output()
		if string(out) == "just words" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("xclip never took the text")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, _, err := ClipboardImage(context.Background()); !errors.Is(err, ErrNoClipboardImage) {
		t.Fatalf("text clipboard: %v", err)
	}
}
