package chat

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"
)

// pngBomb is a PNG header for side×side pixels of the given bit depth
// (color type 6, RGBA) whose data are a few rows of zeros: a few KiB on
// disk that a decoder would allocate the whole picture for.
func pngBomb(side uint32, depth byte) []byte {
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		_ = binary.Write(&out, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(kind))
		c.Write(data)
		out.WriteString(kind)
		out.Write(data)
		_ = binary.Write(&out, binary.BigEndian, c.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], side)
	binary.BigEndian.PutUint32(ihdr[4:], side)
	ihdr[8], ihdr[9] = depth, 6
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	row := make([]byte, 1+int(side)*4*int(depth)/8)
	for range 4 {
		_, _ = zw.Write(row)
	}
	_ = zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// A small file of a huge picture is refused from its header, before a
// decoder allocates the picture: 10950×10950 is 460 MiB decoded (920 MiB
// at 16 bits per channel).
func TestHugePictureIsRefusedBeforeDecoding(t *testing.T) {
	for _, depth := range []byte{8, 16} {
		data := pngBomb(10950, depth)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := PrepareImage("bomb.png", data)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), "bomb.png is too large to open (10950×10950 pixels") {
			t.Errorf("%d-bit: PrepareImage = %v, want a too-large refusal", depth, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("%d-bit: %d MiB allocated for a %d KiB file", depth, alloc>>20, len(data)>>10)
		}
	}
}
