package chat

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLargeImageIsDownscaled(t *testing.T) {
	// A 6000×4000 gradient as a grey PNG (small on disk, large in pixels).
	src := image.NewGray(image.Rect(0, 0, 6000, 4000))
	for x := 0; x < 6000; x++ {
		src.Pix[x] = uint8(x / 24)
	}
	for y := 1; y < 4000; y++ { // rows copied whole: cheap under -race
		copy(src.Pix[y*src.Stride:(y+1)*src.Stride], src.Pix[:src.Stride])
	}
	a, err := PrepareImage("big.png", pngBytes(t, src))
	if err != nil {
		t.Fatal(err)
	}
	if a.Width != 2048 || a.Height != 1365 || !a.Resized || a.OrigW != 6000 || a.OrigH != 4000 {
		t.Fatalf("prepared %d×%d (resized %v) from %d×%d", a.Width, a.Height, a.Resized, a.OrigW, a.OrigH)
	}
	if a.Image.MIME != "image/jpeg" || len(a.Image.Data) > MaxImageBytes {
		t.Errorf("sent as %s, %d bytes", a.Image.MIME, len(a.Image.Data))
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(a.Image.Data))
	if err != nil || cfg.Width != 2048 || cfg.Height != 1365 {
		t.Errorf("encoded image is %d×%d (%v)", cfg.Width, cfg.Height, err)
	}
	if b := a.Thumb.Bounds(); b.Dx() != ThumbSide || b.Dy() != 106 {
		t.Errorf("thumbnail is %v", b)
	}
}

func TestHeavyImageIsReencodedUnderTheByteLimit(t *testing.T) {
	// 1600×1600 of noise: about 7.7 MB as PNG, within the side limit.
	src := image.NewRGBA(image.Rect(0, 0, 1600, 1600))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range src.Pix {
		src.Pix[i] = uint8(r.UintN(256))
	}
	for i := 3; i < len(src.Pix); i += 4 {
		src.Pix[i] = 255
	}
	data := pngBytes(t, src)
	if len(data) <= MaxImageBytes {
		t.Fatalf("test image is only %d bytes", len(data))
	}
	a, err := PrepareImage("noise.png", data)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Resized || len(a.Image.Data) > MaxImageBytes || a.Width > 1600 {
		t.Errorf("noise: %d bytes, %d×%d, resized %v", len(a.Image.Data), a.Width, a.Height, a.Resized)
	}
}

func TestSmallImagesAreSentAsTheyAre(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for i := range src.Pix {
		src.Pix[i] = uint8(i)
	}
	data := pngBytes(t, src)
	a, err := PrepareImage("small.png", data)
	if err != nil {
		t.Fatal(err)
	}
	if a.Resized || !bytes.Equal(a.Image.Data, data) || a.Image.MIME != "image/png" {
		t.Errorf("small image changed: resized %v, %s", a.Resized, a.Image.MIME)
	}
	if !strings.HasPrefix(a.Image.DataURL(), "data:image/png;base64,") {
		t.Errorf("data URL %.30s", a.Image.DataURL())
	}
}

func TestTransparentImageStaysPNGWhenDownscaled(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 3000, 100))
	src.Set(10, 10, color.NRGBA{255, 0, 0, 128})
	a, err := PrepareImage("logo.png", pngBytes(t, src))
	if err != nil {
		t.Fatal(err)
	}
	if a.Image.MIME != "image/png" || a.Width != 2048 {
		t.Errorf("transparent image sent as %s at %d px", a.Image.MIME, a.Width)
	}
}

func TestNotAnImageOrUnreadable(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(txt, []byte("just some text\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(txt)
	if err == nil || !strings.Contains(err.Error(), "notes.txt is not an image") || !strings.Contains(err.Error(), "text/plain") {
		t.Errorf("text file: %v", err)
	}
	_, err = LoadFile(filepath.Join(dir, "gone.png"))
	if err == nil || !strings.Contains(err.Error(), "gone.png cannot be read: it no longer exists") {
		t.Errorf("missing file: %v", err)
	}
	_, err = LoadFile(dir)
	if err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("folder: %v", err)
	}
	if _, err := PrepareImage("cut.png", pngBytes(t, image.NewGray(image.Rect(0, 0, 50, 50)))[:60]); err == nil {
		t.Error("a truncated PNG was accepted")
	}
}

func BenchmarkPrepare6000x4000(b *testing.B) {
	src := image.NewRGBA(image.Rect(0, 0, 6000, 4000))
	for i := range src.Pix {
		src.Pix[i] = uint8(i / 7)
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90})
	data := buf.Bytes()
	b.ResetTimer()
	for b.Loop() {
		if _, err := PrepareImage("photo.jpg", data); err != nil {
			b.Fatal(err)
		}
	}
}
