package provider

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"

	"github.com/codextray/codextray/core/userfile"
)

// MaxImageSize is the largest image Codex Tray sends.
const MaxImageSize = 20 << 20

// Image is a picture to send with a user message.
type Image struct {
	MIME string // image/png, image/jpeg, image/gif or image/webp
	Data []byte
}

// ImageFromBytes checks, by content, that data is a PNG, JPEG, GIF or WebP
// image. name is only used in the error.
func ImageFromBytes(name string, data []byte) (Image, error) {
	if len(data) > MaxImageSize {
		return Image{}, fmt.Errorf("%s is larger than %d MiB; send a smaller image", name, MaxImageSize>>20)
	}
	mime := sniffImage(data)
	if mime == "" {
		return Image{}, fmt.Errorf("%s is not an image Codex can read: only PNG, JPEG, GIF and WebP are supported (it looks like %s)",
			name, http.DetectContentType(data))
	}
	return Image{MIME: mime, Data: data}, nil
}

// LoadImage reads and checks an image file.
func LoadImage(path string) (Image, error) {
	f, err := userfile.Open(path)
	if err != nil {
		return Image{}, fmt.Errorf("cannot read the image: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxImageSize+1))
	if err != nil {
		return Image{}, fmt.Errorf("cannot read the image %s: %w", path, err)
	}
	return ImageFromBytes(path, data)
}

// DataURL is the image as the backend takes it: data:<mime>;base64,<data>.
func (img Image) DataURL() string {
	return "data:" + img.MIME + ";base64," + base64.StdEncoding.EncodeToString(img.Data)
}

func sniffImage(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "image/gif"
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	}
	return ""
}
