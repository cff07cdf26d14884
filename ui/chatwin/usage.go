package chatwin

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/ui/usageview"
)

// UsageActions are what the chat asks of the window host's usage monitor
// (control.Controller): polling every minute while an answer streams, and
// the redeem of a reset credit offered after a usage-limit error.
type UsageActions interface {
	SetStreaming(on bool)
	PreviewRedeem() (sentence, creditID string, ok bool)
	Redeem(creditID string) (string, error)
}

// chatRedeem is the offer shown under a usage-limit error.
type chatRedeem struct {
	box   *fyne.Container
	label *widget.Label
	flow  *usageview.RedeemBox
}

// newChatRedeem builds the hidden offer; nil without usage actions.
func newChatRedeem(w *Window) *chatRedeem {
	u := w.deps.Usage
	if u == nil {
		return nil
	}
	r := &chatRedeem{label: widget.NewLabel("")}
	r.label.Wrapping = fyne.TextWrapWord
	r.flow = usageview.NewRedeemBox(usageview.Actions{
		Preview: u.PreviewRedeem,
		Redeem:  u.Redeem,
		Do:      func(f func()) { w.post(func() { f(); w.root.Refresh() }) },
	})
	r.box = container.NewVBox(r.label, r.flow.Object())
	r.box.Hide()
	return r
}

// drawUsage tells the monitor whether an answer streams, and shows the
// redeem offer when the latest answer hit the usage limit and a reset
// credit can lift it (or the offer has an answer to show); UI goroutine.
func (w *Window) drawUsage(busy bool, credits int) {
	u := w.deps.Usage
	if u == nil {
		return
	}
	if busy != w.streaming {
		w.streaming = busy
		u.SetStreaming(busy)
	}
	if w.redeem == nil {
		return
	}
	limited := false
	if n := w.conv.Len(); n > 0 {
		if p := w.conv.Message(n - 1).Problem; p != nil && p.Code == "usage_limit_reached" {
			limited = true
		}
	}
	show := limited && credits > 0 || w.redeem.flow.Result() != ""
	if show {
		w.redeem.label.SetText(creditOfferText(credits))
		w.redeem.flow.SetAvailable(credits)
	}
	if show != w.redeem.box.Visible() {
		if show {
			w.redeem.box.Show()
		} else {
			w.redeem.box.Hide()
		}
		w.root.Refresh()
	}
}

func creditOfferText(n int) string {
	switch {
	case n <= 0:
		return "No reset credit is left."
	case n == 1:
		return "You have a reset credit: it starts your usage windows again from 0 %."
	}
	return "You have " + strconv.Itoa(n) + " reset credits: one starts your usage windows again from 0 %."
}
