package usageview

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// RedeemBox is the two-step redeem of a reset credit: a button, then a
// confirmation that says which credit and which windows, then one request
// (the button cannot send a second while it runs; core keeps the request
// id until an answer arrives), then the answer's sentence. The status
// window and the chat's usage-limit error both show one.
type RedeemBox struct {
	act Actions

	root        *fyne.Container
	redeem      *widget.Button
	confirm     *fyne.Container
	confirmText *widget.Label
	confirmBtn  *widget.Button
	cancelBtn   *widget.Button
	result      *widget.Label
	busy        bool
	available   int
	creditID    string // the credit the shown confirmation is about
}

// NewRedeemBox builds the box, hidden until SetAvailable says there are
// credits; UI goroutine.
func NewRedeemBox(act Actions) *RedeemBox {
	p := &RedeemBox{act: act}
	p.redeem = widget.NewButton("Redeem a reset credit…", p.onRedeem)
	p.confirmText = widget.NewLabel("")
	p.confirmText.Wrapping = fyne.TextWrapWord
	p.confirmBtn = widget.NewButton("Redeem now", p.onConfirm)
	p.confirmBtn.Importance = widget.DangerImportance
	p.cancelBtn = widget.NewButton("Cancel", p.onCancel)
	p.confirm = container.NewVBox(p.confirmText, container.NewHBox(layout.NewSpacer(), p.cancelBtn, p.confirmBtn))
	p.confirm.Hide()
	p.result = widget.NewLabel("")
	p.result.Wrapping = fyne.TextWrapWord
	p.result.TextStyle.Italic = true
	p.result.Hide()
	p.root = container.NewVBox(container.NewHBox(p.redeem), p.confirm, p.result)
	p.redeem.Hide()
	return p
}

// Object is the box to place in a window.
func (p *RedeemBox) Object() fyne.CanvasObject { return p.root }

// SetAvailable says how many credits can be redeemed; UI goroutine.
func (p *RedeemBox) SetAvailable(n int) {
	p.available = n
	setShown(p.redeem, n > 0 && p.act.Redeem != nil && !p.confirm.Visible())
	if p.busy {
		p.redeem.Disable()
	} else {
		p.redeem.Enable()
	}
}

// Result is the sentence the last redeem ended with ("" before any).
func (p *RedeemBox) Result() string {
	if !p.result.Visible() {
		return ""
	}
	return p.result.Text
}

// onRedeem is the first step: say what a redeem would do.
func (p *RedeemBox) onRedeem() {
	if p.busy || p.act.Preview == nil {
		return
	}
	msg, credit, ok := p.act.Preview()
	p.result.Hide()
	if !ok {
		p.result.SetText(msg)
		p.result.Show()
		return
	}
	// The redeem names the credit the confirmation named: if the list
	// changed meanwhile, the backend says so instead of spending another.
	p.creditID = credit
	p.confirmText.SetText(msg)
	p.confirmBtn.Enable()
	p.cancelBtn.Enable()
	p.redeem.Hide()
	p.confirm.Show()
}

// onConfirm is the second step: one request, whatever the clicks.
func (p *RedeemBox) onConfirm() {
	if p.busy || p.act.Redeem == nil {
		return
	}
	p.busy = true
	p.confirmBtn.Disable()
	p.cancelBtn.Disable()
	p.confirmText.SetText("Redeeming… (asked again with the same request id if the connection drops, so no second credit is spent)")
	credit := p.creditID
	go func() {
		msg, err := p.act.Redeem(credit)
		if err != nil {
			msg = "Redeem failed: " + err.Error()
		}
		p.act.Do(func() {
			p.busy = false
			p.confirm.Hide()
			p.SetAvailable(p.available)
			p.result.SetText(msg)
			p.result.Show()
		})
	}()
}

func (p *RedeemBox) onCancel() {
	if p.busy {
		return
	}
	p.confirm.Hide()
	p.SetAvailable(p.available)
}
