package ui

import (
	"context"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/usage"
	"github.com/codextray/codextray/ui/usageview"
)

// The chat's part of the usage monitor (ChatDeps.Usage): the pace beside
// each meter, polling every minute while an answer streams, and, after a
// usage-limit error, the offer to redeem a reset credit.

// chatRedeem is the offer shown under a usage-limit error.
type chatRedeem struct {
	drawnAt time.Time // the monitor's reading the meters show
	box     *fyne.Container
	label   *widget.Label
	flow    *usageview.RedeemBox
}

// newChatRedeem builds the hidden offer; nil without a usage monitor.
func newChatRedeem(w *ChatWindow) *chatRedeem {
	m := w.deps.Usage
	if m == nil {
		return nil
	}
	r := &chatRedeem{label: widget.NewLabel("")}
	r.label.Wrapping = fyne.TextWrapWord
	r.flow = usageview.NewRedeemBox(usageview.Actions{
		Preview: func() (string, string, bool) { return m.Preview("") },
		Redeem: func(id string) (string, error) {
			ctx, cancel := context.WithTimeout(w.ctx, 3*time.Minute)
			defer cancel()
			res, err := m.Redeem(ctx, id)
			return res.Sentence, err
		},
		Do: func(f func()) { w.post(func() { f(); w.root.Refresh() }) },
	})
	r.box = container.NewVBox(r.label, r.flow.Object())
	r.box.Hide()
	return r
}

// drawUsage tells the monitor whether an answer streams and shows the
// redeem offer when the latest answer hit the usage limit and a credit
// can reset it; UI goroutine.
func (w *ChatWindow) drawUsage(busy bool) {
	m := w.deps.Usage
	if m == nil {
		return
	}
	m.SetStreaming(busy)
	if w.redeem == nil {
		return
	}
	s := m.Snapshot()
	if !s.UpdatedAt.Equal(w.redeem.drawnAt) {
		// A new reading: the meters follow it.
		w.redeem.drawnAt = s.UpdatedAt
		w.mu.Lock()
		own := w.state.usage
		w.mu.Unlock()
		w.drawMeters(w.meterUsage(own))
	}
	limited := false
	if n := w.conv.Len(); n > 0 {
		if p := w.conv.Message(n - 1).Problem; p != nil && p.Code == "usage_limit_reached" {
			limited = true
		}
	}
	show := limited && s.CreditsAvailable > 0 || w.redeem.flow.Result() != ""
	if show {
		w.redeem.label.SetText(creditOfferText(s.CreditsAvailable))
		w.redeem.flow.SetAvailable(s.CreditsAvailable)
	}
	if show != w.redeem.box.Visible() {
		setVisible(w.redeem.box, show)
		w.root.Refresh()
	}
}

func creditOfferText(n int) string {
	if n == 1 {
		return "You have a reset credit: it starts your usage windows again from 0 %."
	}
	return "You have " + strconv.Itoa(n) + " reset credits: one starts your usage windows again from 0 %."
}

// meterUsage is what the meters show: the monitor's windows when it has
// read them (it reads every minute while an answer streams, and names every
// window), else the chat's own reading.
func (w *ChatWindow) meterUsage(own *Usage) *Usage {
	if m := w.deps.Usage; m != nil {
		if s := m.Snapshot(); len(s.Windows) > 0 {
			u := usageFromSnapshot(s)
			return &u
		}
	}
	return own
}

// paceFor is the pace of the plan's window of that length, from the
// monitor; "" without one.
func (w *ChatWindow) paceFor(minutes int) string {
	m := w.deps.Usage
	if m == nil {
		return ""
	}
	for _, win := range m.Snapshot().Windows {
		if win.Family == usage.FamilyCodex && win.Minutes == minutes {
			return win.PaceShort
		}
	}
	return ""
}
