package chatwin

import (
	"fmt"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/textfmt"
	"github.com/codextray/codextray/ui/view"
)

// draw brings the widgets up to date with the conversation and the state:
// the seam's only work on the UI goroutine. Only changed messages are
// parsed and measured.
func (w *Window) draw() {
	n, changed, ids, resets := w.conv.Changes()
	size := w.list.Size()
	width := size.Width
	if !w.follow || size != w.listSize {
		w.follow = w.atBottom() // the user scrolled up: leave the view alone
	}
	if resets != w.resets {
		w.resets = resets
		w.views = w.views[:0]
		w.follow = true
	}
	added := n != len(w.views)
	for len(w.views) < n {
		w.views = append(w.views, &chatMsgView{})
	}
	w.views = w.views[:n]
	for k, id := range ids {
		w.views[id].update(changed[k])
	}
	remeasured := false
	if width > 0 && width != w.width {
		w.width = width
		remeasured = true
	}
	for id, v := range w.views {
		if width > 0 && v.width != width {
			w.measure.bind(v)
			v.height, v.width = w.measure.height(width), width
			w.list.SetItemHeight(id, v.height)
		}
	}
	if added || remeasured {
		w.list.Refresh()
	} else {
		for _, id := range ids {
			w.list.RefreshItem(id)
		}
	}
	if (added || len(ids) > 0 || size != w.listSize) && w.follow && n > 0 {
		w.list.ScrollToBottom()
	}
	w.listSize = size
	w.drawState()
	// A change has reached the widgets now: measure how long it took.
	done := time.Now()
	for _, m := range changed {
		if !m.Pending.IsZero() {
			lat := done.Sub(m.Pending)
			w.stats.latencies = append(w.stats.latencies, lat)
			w.stats.framesSkipped += int(lat / chat.Frame)
			w.stats.messages++
		}
	}
	w.stats.draws++
}

// atBottom reports whether the list shows the end of the conversation, as
// it was last laid out.
func (w *Window) atBottom() bool {
	if w.listSize.Height == 0 || len(w.views) == 0 {
		return true
	}
	sep := theme.Padding()
	var total float32
	for _, v := range w.views {
		total += v.height + sep
	}
	return w.list.GetScrollOffset() >= total-sep-w.listSize.Height-2*sep-1
}

// drawState applies chatState when it changed, and the busy state.
func (w *Window) drawState() {
	busy := w.conv.Busy()
	if w.hiddenBusy && !busy {
		w.hiddenBusy = false
		if w.onHidden != nil {
			w.onHidden()
		}
	}
	if busy {
		w.sendBtn.SetText("Stop")
		w.sendBtn.SetIcon(theme.MediaStopIcon())
		w.sendBtn.Importance = widget.DangerImportance
	} else {
		w.sendBtn.SetText("Send")
		w.sendBtn.SetIcon(theme.MailSendIcon())
		w.sendBtn.Importance = widget.HighImportance
	}
	w.mu.Lock()
	if rl := w.conv.RateLimits(); !rl.IsZero() {
		u := view.UsageFromRateLimits(rl)
		w.state.usage = &u
	}
	s := w.state
	incoming := w.state.incoming
	w.state.incoming = nil
	rev := w.rev
	w.mu.Unlock()
	if !busy && !s.loginOK {
		w.sendBtn.Disable()
	} else {
		w.sendBtn.Enable()
	}
	w.sendBtn.Refresh()
	w.drawUsage(busy, s.credits)
	if len(incoming) > 0 {
		w.attached = append(w.attached, incoming...)
		w.drawThumbs()
	}
	if rev == w.drawnRev {
		return
	}
	w.drawnRev = rev

	w.drawPickers(s)

	w.notices.Objects = w.notices.Objects[:0]
	for i, n := range s.notices {
		l := widget.NewLabel(n)
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.WarningImportance
		i := i
		x := &widget.Button{Icon: theme.CancelIcon(), Importance: widget.LowImportance, OnTapped: func() { w.dismissNotice(i) }}
		w.notices.Objects = append(w.notices.Objects, container.NewBorder(nil, nil, nil, x, l))
	}
	if s.loading > 0 {
		w.notices.Objects = append(w.notices.Objects, widget.NewLabel(fmt.Sprintf("Preparing %d image(s)…", s.loading)))
	}
	w.notices.Hidden = len(w.notices.Objects) == 0
	w.notices.Refresh()

	w.loginBox.Hidden = s.loginOK
	w.loginLabel.SetText(strings.TrimSpace(s.loginWhy + " " + s.signInErr))
	w.entry.Enable()

	w.drawMeters(s.usage, s.format, s.now)
	w.drawSide(s.side)
	w.root.Refresh() // shown or hidden parts change the bottom's height
}

func (w *Window) drawPickers(s chatState) {
	if s.models == nil {
		if s.model != "" {
			w.modelSel.Options = []string{s.model}
			w.modelSel.Selected = s.model
		}
		if s.effort != "" {
			w.effortSel.Options = []string{s.effort}
			w.effortSel.Selected = s.effort
		}
		w.modelSel.Refresh()
		w.effortSel.Refresh()
		return
	}
	w.slugs = w.slugs[:0]
	var names []string
	sel := ""
	for _, m := range s.models.Models {
		w.slugs = append(w.slugs, m.Slug)
		names = append(names, view.ModelName(m))
		if m.Slug == s.model {
			sel = view.ModelName(m)
		}
	}
	w.modelSel.Options = names
	w.modelSel.Selected = sel
	w.modelSel.Refresh()
	m, _ := s.models.Find(s.model)
	w.effortSel.Options = append([]string(nil), m.Efforts...)
	w.effortSel.Selected = s.effort
	if len(m.Efforts) == 0 {
		w.effortSel.Disable()
	} else {
		w.effortSel.Enable()
	}
	w.effortSel.Refresh()
	// Fast only where the catalog lists the priority tier for the model.
	w.fastChk.Hidden = !m.Fast
	w.fastChk.Checked = s.fast
	w.fastChk.Refresh()
}

func (w *Window) drawMeters(u *view.Usage, f textfmt.Format, now time.Time) {
	if u == nil || len(u.Windows) == 0 {
		w.meters.Hide()
		w.warn.Hide()
		return
	}
	for len(w.meterBars) < len(u.Windows) {
		b := widget.NewProgressBar()
		w.meterBars = append(w.meterBars, b)
	}
	w.meters.Objects = w.meters.Objects[:0]
	var warn []string
	if now.IsZero() {
		now = time.Now()
	}
	for i, win := range u.Windows {
		b := w.meterBars[i]
		text := f.UsageLine(win, now)
		b.TextFormatter = func() string { return text }
		b.Max, b.Value = 100, math.Min(win.UsedPercent, 100)
		b.Refresh()
		w.meters.Objects = append(w.meters.Objects, b)
		if win.UsedPercent >= chatUsageWarnAt {
			used, resets := f.UsageParts(win, now)
			if resets != "" {
				resets = " · " + resets
			}
			warn = append(warn, win.Name+" window "+used+resets)
		}
	}
	w.meters.Show()
	w.meters.Refresh()
	if len(warn) > 0 {
		w.warn.SetText("Close to the usage limit: " + strings.Join(warn, "; ") + ". A long answer may stop half-way.")
		w.warn.Show()
	} else {
		w.warn.Hide()
	}
}
