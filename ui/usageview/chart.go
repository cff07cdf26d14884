package usageview

import (
	"image/color"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/usage"
)

// Chart draws one window's usage over a span (the last 7 days) from its
// samples (oldest first): an hourly area of the highest reading, a line
// through it, a faint line at each midnight with the day's name, the
// notification threshold, and a line at every reset (a new period that
// began with less used). It is drawn with canvas primitives only.
type Chart struct {
	widget.BaseWidget

	samples   []usage.Sample
	from, to  time.Time
	loc       *time.Location
	threshold float64 // a faint line at this percent; 0 for none
}

// NewChart returns an empty chart; Set gives it data.
func NewChart() *Chart {
	c := &Chart{loc: time.Local}
	c.ExtendBaseWidget(c)
	return c
}

// Set replaces the data; UI goroutine.
func (c *Chart) Set(samples []usage.Sample, from, to time.Time, loc *time.Location, threshold float64) {
	if loc == nil {
		loc = time.Local
	}
	c.samples, c.from, c.to, c.loc, c.threshold = samples, from, to, loc, threshold
	c.Refresh()
}

// MinSize is a strip: wide enough for a week of hours, low.
func (c *Chart) MinSize() fyne.Size { return fyne.NewSize(336, 64) }

func (c *Chart) CreateRenderer() fyne.WidgetRenderer {
	return &chartRenderer{c: c}
}

type chartRenderer struct {
	c    *Chart
	size fyne.Size
	objs []fyne.CanvasObject
}

func (r *chartRenderer) Destroy()                     {}
func (r *chartRenderer) MinSize() fyne.Size           { return r.c.MinSize() }
func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objs }
func (r *chartRenderer) Layout(s fyne.Size)           { r.size = s; r.build() }
func (r *chartRenderer) Refresh()                     { r.build(); canvas.Refresh(r.c) }

// Bucket is the chart's resolution: one bar per hour.
const bucket = time.Hour

func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: a}
}

// build lays the chart out anew for the current size and data.
func (r *chartRenderer) build() {
	c, size := r.c, r.size
	r.objs = r.objs[:0]
	if size.Width <= 0 || size.Height <= 0 {
		return
	}
	fg := theme.Color(theme.ColorNameForeground)
	primary := theme.Color(theme.ColorNamePrimary)
	labelH := float32(12)
	plotH := size.Height - labelH
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.Resize(fyne.NewSize(size.Width, plotH))
	bg.CornerRadius = 3
	r.objs = append(r.objs, bg)
	if !c.to.After(c.from) {
		return
	}
	span := c.to.Sub(c.from)
	xAt := func(t time.Time) float32 { return float32(t.Sub(c.from)) / float32(span) * size.Width }
	yAt := func(p float64) float32 { return plotH - float32(p/100)*(plotH-2) - 1 }
	line := func(x1, y1, x2, y2 float32, col color.Color, w float32) {
		l := canvas.NewLine(col)
		l.StrokeWidth = w
		l.Position1, l.Position2 = fyne.NewPos(x1, y1), fyne.NewPos(x2, y2)
		r.objs = append(r.objs, l)
	}
	// Midnights, and the day's name under each day with at least 8 hours
	// in view.
	day := time.Date(c.from.In(c.loc).Year(), c.from.In(c.loc).Month(), c.from.In(c.loc).Day(), 0, 0, 0, 0, c.loc)
	for ; day.Before(c.to); day = day.AddDate(0, 0, 1) {
		if day.After(c.from) {
			x := xAt(day)
			line(x, 0, x, plotH, withAlpha(fg, 0x28), 1)
		}
		start, end := maxTime(day, c.from), minTime(day.AddDate(0, 0, 1), c.to)
		if end.Sub(start) >= 8*time.Hour {
			t := canvas.NewText(day.Format("Mon"), withAlpha(fg, 0xa0))
			t.TextSize = 10
			ts := t.MinSize()
			t.Move(fyne.NewPos((xAt(start)+xAt(end)-ts.Width)/2, plotH+(labelH-ts.Height)/2+1))
			r.objs = append(r.objs, t)
		}
	}
	if c.threshold > 0 && c.threshold < 100 {
		y := yAt(c.threshold)
		warn := theme.Color(theme.ColorNameWarning)
		line(0, y, size.Width, y, withAlpha(warn, 0x70), 1)
		t := canvas.NewText(strconv.Itoa(int(c.threshold))+" %", withAlpha(warn, 0xc0))
		t.TextSize = 9
		t.Move(fyne.NewPos(2, y-t.MinSize().Height))
		r.objs = append(r.objs, t)
	}
	// Hourly maxima: an area and a line through it; a gap where no
	// sample was taken.
	n := int(span / bucket)
	if n <= 0 {
		return
	}
	peaks := make([]float64, n)
	have := make([]bool, n)
	var resets []time.Time
	var prev *usage.Sample
	for i := range c.samples {
		s := &c.samples[i]
		if s.At.Before(c.from) || s.At.After(c.to) {
			continue
		}
		i := min(int(s.At.Sub(c.from)/bucket), n-1)
		if !have[i] || s.UsedPercent > peaks[i] {
			peaks[i], have[i] = min(max(s.UsedPercent, 0), 100), true
		}
		// A reset is where a new period begins with less used: at the old
		// period's reset time, or at the reading when that is unknown.
		if prev != nil && s.UsedPercent < prev.UsedPercent && !s.ResetsAt.IsZero() && !prev.ResetsAt.IsZero() &&
			s.ResetsAt.Sub(prev.ResetsAt) > 2*time.Minute {
			rt := prev.ResetsAt
			if rt.Before(prev.At) || rt.After(s.At) {
				rt = s.At
			}
			if !nearAny(resets, rt) {
				resets = append(resets, rt)
			}
		}
		prev = s
	}
	bw := size.Width / float32(n)
	area := withAlpha(primary, 0x48)
	for i := range n {
		if !have[i] {
			continue
		}
		y := yAt(peaks[i])
		bar := canvas.NewRectangle(area)
		bar.Move(fyne.NewPos(float32(i)*bw, y))
		bar.Resize(fyne.NewSize(bw+0.5, plotH-y))
		r.objs = append(r.objs, bar)
	}
	for i := 1; i < n; i++ {
		if have[i] && have[i-1] {
			line((float32(i)-0.5)*bw, yAt(peaks[i-1]), (float32(i)+0.5)*bw, yAt(peaks[i]), primary, 1.5)
		}
	}
	// Resets on top, in the success color, so a drop reads as a reset.
	for _, rt := range resets {
		x := xAt(rt)
		line(x, 0, x, plotH, theme.Color(theme.ColorNameSuccess), 1.5)
	}
}

func nearAny(ts []time.Time, t time.Time) bool {
	for _, u := range ts {
		if d := u.Sub(t); d < 2*time.Minute && d > -2*time.Minute {
			return true
		}
	}
	return false
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
