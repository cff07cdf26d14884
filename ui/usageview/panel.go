package usageview

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/textfmt"
	"github.com/codextray/codextray/core/usage"
	"github.com/codextray/codextray/ui/view"
)

// Actions are what the panel asks of its owner. Redeem runs off the UI
// goroutine (it waits on the network); Preview is quick.
type Actions struct {
	// Preview is the confirmation's sentence for redeeming the credit that
	// expires first, and that credit's id; ok is false when there is
	// nothing to redeem.
	Preview func() (sentence, creditID string, ok bool)
	// Redeem redeems creditID and returns the sentence of the answer.
	Redeem func(creditID string) (string, error)
	// Do runs f on the UI goroutine (fyne.Do in a window).
	Do func(f func())
}

// Panel is the status window's usage section: each window with its line,
// pace and 7-day chart, the reset credits, and the two-step redeem.
type Panel struct {
	act Actions

	root    *fyne.Container
	rows    *fyne.Container
	rowOf   map[string]*windowRow
	order   string
	empty   *widget.Label
	stale   *widget.Label
	credits *widget.Label
	redeem  *RedeemBox
}

type windowRow struct {
	line  *widget.Label
	pace  *widget.Label
	chart *Chart
	box   *fyne.Container
}

// NewPanel builds the panel; UI goroutine.
func NewPanel(act Actions) *Panel {
	p := &Panel{act: act, rowOf: map[string]*windowRow{}}
	p.rows = container.NewVBox()
	p.empty = widget.NewLabel("No usage read yet.")
	p.stale = widget.NewLabel("")
	p.stale.Importance = widget.WarningImportance
	p.credits = widget.NewLabel("")
	p.credits.Wrapping = fyne.TextWrapWord
	p.redeem = NewRedeemBox(act)
	p.root = container.NewVBox(
		container.NewHBox(layout.NewSpacer(), p.stale),
		p.empty, p.rows,
		widget.NewSeparator(),
		p.credits,
		p.redeem.Object(),
	)
	return p
}

// Object is the panel to place in a window.
func (p *Panel) Object() fyne.CanvasObject { return p.root }

// Show draws s at now; UI goroutine. f writes times and places the
// charts' midnights, threshold (the lowest notification threshold) is
// drawn in the charts.
func (p *Panel) Show(s *usage.Snapshot, now time.Time, f textfmt.Format, stale time.Duration, threshold float64) {
	if s == nil {
		s = &usage.Snapshot{}
	}
	setShown(p.empty, len(s.Windows) == 0)
	if len(s.Windows) == 0 && s.Err != "" {
		p.empty.SetText("Usage unavailable: " + view.FirstLine(s.Err, 120))
	} else {
		p.empty.SetText("No usage read yet.")
	}
	var keys []string
	for _, w := range s.Windows {
		keys = append(keys, w.Key)
	}
	if order := strings.Join(keys, "\n"); order != p.order {
		p.order = order
		p.rows.Objects = p.rows.Objects[:0]
		for _, w := range s.Windows {
			r := p.rowOf[w.Key]
			if r == nil {
				r = newWindowRow()
				p.rowOf[w.Key] = r
			}
			p.rows.Objects = append(p.rows.Objects, r.box)
		}
		p.rows.Refresh()
	}
	for _, w := range s.Windows {
		r := p.rowOf[w.Key]
		r.line.SetText(WindowLine(w, now, f))
		r.pace.SetText(capitalize(w.PaceText) + ".")
		r.chart.Set(s.History[w.Key], now.Add(-usage.HistorySpan), now, f.Loc, threshold)
	}
	p.stale.SetText(StaleLine(s, now, stale))
	setShown(p.stale, p.stale.Text != "")
	p.credits.SetText(creditsText(s, now, f))
	p.redeem.SetAvailable(s.CreditsAvailable)
}

func newWindowRow() *windowRow {
	r := &windowRow{line: widget.NewLabel(""), pace: widget.NewLabel(""), chart: NewChart()}
	r.line.TextStyle.Bold = true
	r.pace.Wrapping = fyne.TextWrapWord
	r.pace.TextStyle.Italic = true
	r.box = container.NewVBox(r.line, r.pace, r.chart)
	return r
}

func creditsText(s *usage.Snapshot, now time.Time, f textfmt.Format) string {
	if s.CreditsAvailable <= 0 {
		return "Reset credits: none."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Reset credits: %d", s.CreditsAvailable)
	if s.Credits == nil {
		return b.String() + "."
	}
	for _, c := range s.Credits.Available(now) {
		name := c.Title
		if name == "" {
			name = "Reset credit"
		}
		if c.ExpiresAt.IsZero() {
			fmt.Fprintf(&b, "\n• %s — does not expire", name)
		} else {
			fmt.Fprintf(&b, "\n• %s — expires %s (in %s)", name, f.Clock(c.ExpiresAt, now), textfmt.Duration(c.ExpiresAt.Sub(now)))
		}
	}
	return b.String()
}

func setShown(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	if r[0] >= 'a' && r[0] <= 'z' {
		r[0] -= 'a' - 'A'
	}
	return string(r)
}
