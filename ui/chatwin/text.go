package chatwin

import (
	"fmt"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// chatText is the RichText of the chat's messages. Fyne wraps a paragraph
// by measuring, for every row, the whole rest of the paragraph and then
// binary searching it: the cost grows with the square of the paragraph's
// length, and a streamed paragraph is wrapped again at every frame. So
// chatText wraps long plain paragraphs itself, the same way (the longest
// prefix that fits, broken at its last space), measuring only about a row
// at a time and going on from the last row of the previous frame, and hands
// Fyne the paragraph with its rows split by newlines: each row then fits,
// and is measured once, from Fyne's text-size cache when it did not change.
// It also skips the refresh when the segments show what they showed.
type chatText struct {
	widget.RichText
	src   []widget.RichTextSegment // as set, before wrapping
	key   string                   // what src shows (chatSegmentsKey)
	width float32                  // the width src was wrapped for
	wraps map[int]*chatWrap        // by index in src: the wrapped paragraphs
}

// chatWrapMin is the length (in runes) from which a paragraph is wrapped
// here: Fyne's own wrapping is cheap below it.
const chatWrapMin = 160

// chatWrap is one paragraph wrapped at a width: where each row starts.
type chatWrap struct {
	text   []rune
	width  float32
	starts []int
	out    *widget.TextSegment // the paragraph with newlines between its rows
}

func newChatText() *chatText {
	t := &chatText{}
	t.Scroll = container.ScrollNone // as widget.NewRichText
	t.Wrapping = fyne.TextWrapWord
	t.ExtendBaseWidget(t)
	return t
}

// set shows segs; nothing is laid out again when they show what the text
// shows already.
func (t *chatText) set(segs []widget.RichTextSegment) {
	key := chatSegmentsKey(segs)
	if key == t.key && len(t.src) > 0 {
		return
	}
	t.src, t.key = segs, key
	t.wrap(t.Size().Width)
	t.Refresh()
}

// Resize wraps the paragraphs for a new width before Fyne lays them out.
func (t *chatText) Resize(s fyne.Size) {
	if s.Width != t.width {
		t.wrap(s.Width)
	}
	t.RichText.Resize(s)
}

// wrap sets Segments from src, with the long plain paragraphs wrapped for
// width (the text's own width, as Fyne's RichText takes it).
func (t *chatText) wrap(width float32) {
	t.width = width
	inner := theme.Size(theme.SizeNameInnerPadding)
	max := width - 2*inner
	out := make([]widget.RichTextSegment, len(t.src))
	copy(out, t.src)
	keep := map[int]*chatWrap{}
	for i, s := range t.src {
		ts, ok := s.(*widget.TextSegment)
		// Text starting a row (the segment before it ends its own): Fyne
		// wraps it on its own, whatever comes after it on its last row.
		// (Markdown gives a paragraph as inline runs and an empty segment
		// that ends it.)
		if !ok || max <= 0 || t.Wrapping != fyne.TextWrapWord || ts.Style == widget.RichTextStyleBlockquote {
			continue
		}
		if i > 0 {
			if p, ok := t.src[i-1].(*widget.TextSegment); !ok || p.Inline() {
				continue
			}
		}
		text := []rune(ts.Text)
		if len(text) < chatWrapMin {
			continue
		}
		size := theme.Size(theme.SizeNameText)
		if ts.Style.SizeName != "" {
			size = theme.Size(ts.Style.SizeName)
		}
		style := ts.Style.TextStyle
		measure := func(r []rune) float32 { return fyne.MeasureText(string(r), size, style).Width }
		w := chatWrapText(t.wraps[i], text, max, measure)
		if w.out == nil || w.out.Style != ts.Style {
			seg := *ts
			seg.Text = chatRows(text, w.starts)
			w.out = &seg
		}
		out[i] = w.out
		keep[i] = w
	}
	t.wraps = keep
	t.Segments = out
}

// chatWrapText wraps text at width max the way Fyne's TextWrapWord does,
// going on from prev when text extends prev's text (a streamed paragraph):
// the rows before prev's last stay as they were. It returns prev itself
// when nothing changed.
func chatWrapText(prev *chatWrap, text []rune, max float32, measure func([]rune) float32) *chatWrap {
	w := &chatWrap{text: text}
	low := 0
	if prev != nil && prev.width == max && len(text) >= len(prev.text) && string(text[:len(prev.text)]) == string(prev.text) {
		if len(text) == len(prev.text) {
			return prev
		}
		// Keep every row but the last, which may now go further.
		n := len(prev.starts)
		w.starts = append([]int(nil), prev.starts[:n-1]...)
		low = prev.starts[n-1]
	}
	w.width = max
	probe := 64
	for {
		w.starts = append(w.starts, low)
		// The line ends at the next newline: Fyne wraps each line alone.
		end := low
		for end < len(text) && text[end] != '\n' {
			end++
		}
		high, next := chatWrapRow(text, low, end, max, measure, &probe)
		switch {
		case high < end:
			low = next
		case end < len(text):
			low = end + 1 // past the newline
		default:
			return w
		}
	}
}

// chatWrapRow finds where the row starting at low ends within the line
// [low, end): high, and where the next row starts. As in Fyne: the longest
// prefix that fits, cut at its last space (the space is not drawn); a word
// longer than the row is cut where it stops fitting. probe is a guess of a
// row's length, so the rest of a long line is not measured whole.
func chatWrapRow(text []rune, low, end int, max float32, measure func([]rune) float32, probe *int) (high, next int) {
	fits := func(h int) bool { return measure(text[low:h]) <= max }
	// Find a bound that does not fit, measuring about a row at a time.
	bound := end
	for step := *probe; ; step *= 2 {
		b := low + step
		if b >= end {
			if fits(end) {
				return end, end
			}
			break
		}
		if !fits(b) {
			bound = b
			break
		}
	}
	// The longest prefix that fits: fit is in [low, bound).
	lo, hi := low, bound // fits(lo) (empty), !fits(hi)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	fallback := lo - low // runes that fit
	if fallback < 1 {
		// Not even one rune fits: Fyne puts it on a row of its own.
		return low + 1, low + 1
	}
	*probe = max2(fallback+fallback/4, 16)
	sp := fallback // findSpaceIndex: from the rune after the fit, backwards
	for ; sp >= 0; sp-- {
		if low+sp < end && unicode.IsSpace(text[low+sp]) {
			break
		}
	}
	if sp < 0 {
		sp = fallback
	}
	if sp == 0 {
		sp = 1
	}
	high = low + sp
	next = high
	if next < end && unicode.IsSpace(text[next]) {
		next++
	}
	return high, next
}

func max2(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// chatRows is text with its rows (starting at starts) on lines of their
// own: the newline or the space a row ends at becomes the newline, and a
// word cut in two gets one.
func chatRows(text []rune, starts []int) string {
	var b strings.Builder
	b.Grow(len(text) + len(starts))
	prev := 0
	for _, s := range starts[1:] {
		end := s
		if s > prev && unicode.IsSpace(text[s-1]) {
			end = s - 1
		}
		b.WriteString(string(text[prev:end]))
		b.WriteByte('\n')
		prev = s
	}
	b.WriteString(string(text[prev:]))
	return b.String()
}

// chatSegmentsKey says what segs show, to skip laying out segments that
// show what the text shows already; a segment of an unknown kind never
// matches.
func chatSegmentsKey(segs []widget.RichTextSegment) string {
	var b strings.Builder
	var walk func([]widget.RichTextSegment)
	walk = func(segs []widget.RichTextSegment) {
		for _, s := range segs {
			switch s := s.(type) {
			case *widget.TextSegment:
				fmt.Fprintf(&b, "T%+v%q\x00", s.Style, s.Text)
			case *widget.HyperlinkSegment:
				fmt.Fprintf(&b, "H%d%q%v\x00", s.Alignment, s.Text, s.URL)
			case *widget.ListSegment:
				fmt.Fprintf(&b, "L%v%d[", s.Ordered, s.StartNumber())
				walk(s.Items)
				b.WriteString("]")
			case *widget.ParagraphSegment:
				b.WriteString("P[")
				walk(s.Texts)
				b.WriteString("]")
			case *widget.SeparatorSegment:
				b.WriteString("S\x00")
			default:
				fmt.Fprintf(&b, "?%p\x00", s)
			}
		}
	}
	walk(segs)
	return b.String()
}
