package chat

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // decoder for dropped GIFs (the first frame is kept when re-encoding)
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // decoder for dropped WebP images

	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/core/userfile"
)

// Limits on what is sent: larger images are downscaled and re-encoded.
const (
	MaxImageSide  = 2048    // pixels on the long side
	MaxImageBytes = 5 << 20 // bytes of the encoded image
	ThumbSide     = 160     // pixels on the long side of a thumbnail

	maxFileBytes = 64 << 20 // a dropped file larger than this is refused unread
	// maxDecodeBytes bounds the memory a picture takes decoded, checked
	// from its header before decoding: 256 MiB holds a 48-megapixel phone
	// photo (as JPEG, or as 8-bit PNG), not a 10950×10950 PNG of a few
	// hundred KiB that would take 460 MiB (920 MiB at 16 bits).
	maxDecodeBytes = 256 << 20
	jpegQuality    = 85
)

// Attachment is an image ready to send, with its thumbnail.
type Attachment struct {
	Name          string
	Image         provider.Image // what is sent
	Width, Height int            // of what is sent
	OrigW, OrigH  int            // of the file as given
	Resized       bool           // downscaled or re-encoded to fit the limits
	Thumb         image.Image    // at most ThumbSide on the long side
}

// LoadFile reads a dropped or picked file and prepares it as an image. The
// error is one sentence naming the file, for the chat window to show.
func LoadFile(path string) (Attachment, error) {
	name := filepath.Base(path)
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return Attachment{}, fmt.Errorf("%s is a folder, not an image", name)
	}
	f, err := userfile.Open(path)
	if err != nil {
		return Attachment{}, fmt.Errorf("%s cannot be read: %s", name, reason(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return Attachment{}, fmt.Errorf("%s cannot be read: %s", name, reason(err))
	}
	if len(data) > maxFileBytes {
		return Attachment{}, fmt.Errorf("%s is larger than %d MB; pick a smaller image", name, maxFileBytes>>20)
	}
	return PrepareImage(name, data)
}

func reason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "it no longer exists"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// PrepareImage checks that data is a PNG, JPEG, GIF or WebP picture and
// makes it fit the limits: over MaxImageSide pixels on the long side or
// over MaxImageBytes it is downscaled and re-encoded (PNG when it has
// transparency, else JPEG). WebP is always re-encoded. name is for messages.
func PrepareImage(name string, data []byte) (Attachment, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Attachment{}, fmt.Errorf("%s is not an image that can be sent (it looks like %s); only PNG, JPEG, GIF and WebP are supported",
			name, http.DetectContentType(data))
	}
	if need := float64(cfg.Width) * float64(cfg.Height) * bytesPerPixel(cfg.ColorModel); need > maxDecodeBytes {
		return Attachment{}, fmt.Errorf("%s is too large to open (%d×%d pixels would take %.0f MiB of memory); shrink it below %d megapixels and try again",
			name, cfg.Width, cfg.Height, need/(1<<20), maxDecodeBytes/4/1_000_000)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Attachment{}, fmt.Errorf("%s is a damaged %s image: %v", name, format, err)
	}
	a := Attachment{Name: name, OrigW: cfg.Width, OrigH: cfg.Height, Width: cfg.Width, Height: cfg.Height}
	fits := cfg.Width <= MaxImageSide && cfg.Height <= MaxImageSide && len(data) <= MaxImageBytes
	if fits && format != "webp" {
		a.Image, err = provider.ImageFromBytes(name, data)
		if err != nil {
			return Attachment{}, err
		}
		a.Thumb = Fit(img, ThumbSide)
		return a, nil
	}

	side := MaxImageSide
	for range 8 {
		scaled := Fit(img, side)
		enc, mime, err := encode(scaled)
		if err != nil {
			return Attachment{}, fmt.Errorf("%s could not be re-encoded: %v", name, err)
		}
		if len(enc) <= MaxImageBytes {
			b := scaled.Bounds()
			a.Image = provider.Image{MIME: mime, Data: enc}
			a.Width, a.Height, a.Resized = b.Dx(), b.Dy(), true
			a.Thumb = Fit(scaled, ThumbSide)
			return a, nil
		}
		side = side * 3 / 4
	}
	return Attachment{}, fmt.Errorf("%s cannot be made smaller than %d MB", name, MaxImageBytes>>20)
}

// bytesPerPixel is what one pixel takes once decoded, by the color model
// DecodeConfig reports.
func bytesPerPixel(m color.Model) float64 {
	switch m {
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	case color.Gray16Model:
		return 2
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.YCbCrModel:
		return 3 // 4:4:4 at most
	case color.CMYKModel, color.RGBAModel, color.NRGBAModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8 // unknown: assume the widest
}

// encode writes img as PNG when it has transparency, else as JPEG.
func encode(img image.Image) ([]byte, string, error) {
	var buf bytes.Buffer
	if !opaque(img) {
		if err := png.Encode(&buf, img); err != nil {
			return nil, "", err
		}
		return buf.Bytes(), "image/png", nil
	}
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), "image/jpeg", nil
}

func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// Fit returns img scaled down (never up) so that its long side is at most
// side pixels, with a bilinear filter; img itself when it already fits.
func Fit(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= side && h <= side {
		return img
	}
	if w >= h {
		h, w = max(1, h*side/w), side
	} else {
		w, h = max(1, w*side/h), side
	}
	r := image.Rect(0, 0, w, h)
	var dst draw.Image
	if opaque(img) {
		dst = image.NewRGBA(r)
	} else {
		dst = image.NewNRGBA(r)
	}
	draw.BiLinear.Scale(dst, r, img, b, draw.Src, nil)
	return dst
}
