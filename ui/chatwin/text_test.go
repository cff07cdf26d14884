package chatwin

import (
	"bytes"
	"image"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// chatTextSamples are paragraphs that wrap in every way Fyne's word wrap
// does: at spaces, inside a word longer than a row, at newlines, after
// double spaces, with bold runs after the first, and accented letters.
func chatTextSamples() []string {
	var words strings.Builder
	for i := range 110 {
		words.WriteString([]string{"a", "streamed", "answer", "wraps", "Übergrößenträger", "at", "x"}[i%7])
		words.WriteString(strings.Repeat("o", i%5))
		words.WriteString(" ")
	}
	long := strings.TrimSpace(words.String())
	return []string{
		long,
		"Short start, then an enormous word: " + strings.Repeat("supercalifragilistic", 12) + " and more words after it to wrap again and again " + long[:400],
		long[:300] + "\n\nA second paragraph after a blank line, " + long[:250] + "\nand a hard break.",
		"Spaces  doubled  here  " + long[:500],
		long[:400] + " **bold words run on after it** and plain text again " + long[:200],
	}
}

// render draws a RichText of segs at width and returns the picture.
func renderText(t *testing.T, o fyne.CanvasObject, width float32) image.Image {
	t.Helper()
	w := test.NewWindow(o)
	defer w.Close()
	w.Resize(fyne.NewSize(width, 1000))
	w.SetPadded(false)
	return w.Canvas().Capture()
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	if a, ok := a.(*image.NRGBA); ok {
		if b, ok := b.(*image.NRGBA); ok {
			return bytes.Equal(a.Pix, b.Pix)
		}
	}
	if a, ok := a.(*image.RGBA); ok {
		if b, ok := b.(*image.RGBA); ok {
			return bytes.Equal(a.Pix, b.Pix)
		}
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

// chatText lays paragraphs out exactly as Fyne's own word wrap does, at
// every width, whether it wraps them at once or as they stream in.
func TestChatTextWrapsAsFyneDoes(t *testing.T) {
	test.NewTempApp(t)
	for si, md := range chatTextSamples() {
		for _, width := range []float32{120, 377, 801} {
			fyneText := widget.NewRichTextFromMarkdown(md)
			fyneText.Wrapping = fyne.TextWrapWord
			want := renderText(t, fyneText, width)

			ours := newChatText()
			ours.set(widget.NewRichTextFromMarkdown(md).Segments)
			if got := renderText(t, ours, width); !sameImage(got, want) {
				t.Errorf("sample %d at width %v: chatText lays out otherwise than Fyne", si, width)
			}
			if len(ours.wraps) == 0 {
				t.Errorf("sample %d at width %v: no paragraph was wrapped by chatText", si, width)
			}

			if width != 377 {
				continue
			}
			// Streamed: the same text set in growing pieces, wrapped as it
			// comes, then shown at the width.
			streamed := newChatText()
			w := test.NewWindow(streamed)
			w.Resize(fyne.NewSize(width, 1000))
			w.SetPadded(false)
			for n := 40; n < len(md); n += 53 {
				streamed.set(widget.NewRichTextFromMarkdown(md[:n]).Segments)
			}
			streamed.set(widget.NewRichTextFromMarkdown(md).Segments)
			got := w.Canvas().Capture()
			w.Close()
			if !sameImage(got, want) {
				t.Errorf("sample %d at width %v: streamed chatText lays out otherwise than Fyne", si, width)
			}
		}
	}
}

func TestChatTextSkipsARefreshThatShowsNothingNew(t *testing.T) {
	test.NewTempApp(t)
	ct := newChatText()
	w := test.NewWindow(ct)
	defer w.Close()
	w.Resize(fyne.NewSize(400, 600))
	ct.set(widget.NewRichTextFromMarkdown("Hello **world**").Segments)
	first := ct.Segments
	ct.set(widget.NewRichTextFromMarkdown("Hello **world**").Segments)
	if &ct.Segments[0] != &first[0] {
		t.Error("the same content was set again")
	}
	ct.set(widget.NewRichTextFromMarkdown("Hello *world*").Segments)
	if strings.Contains(ct.key, "Bold:true") {
		t.Error("a change of style was not taken")
	}
}
