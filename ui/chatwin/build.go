package chatwin

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

func (w *Window) build() fyne.CanvasObject {
	w.list = widget.NewList(
		func() int { return len(w.views) },
		func() fyne.CanvasObject { return newChatMsgRow(w.copyText).top },
		func(id widget.ListItemID, o fyne.CanvasObject) {}, // replaced below: rows need their chatMsgRow
	)
	w.rows = map[fyne.CanvasObject]*chatMsgRow{}
	w.list.CreateItem = func() fyne.CanvasObject {
		r := newChatMsgRow(w.copyText)
		w.rows[r.top] = r
		return r.top
	}
	w.list.UpdateItem = func(id widget.ListItemID, o fyne.CanvasObject) {
		r := w.rows[o]
		if r == nil || id >= len(w.views) {
			return
		}
		v := w.views[id]
		r.onAction = w.onAction
		r.onToggle = func() { w.toggleReasoning(v) }
		r.bind(v)
	}
	w.measure = newChatMsgRow(w.copyText)

	w.entry = newChatComposerEntry()
	// The unsent text is kept a second after typing stops, so a quit or a
	// crash of the window host loses at most that second of it.
	w.entry.OnChanged = func(text string) {
		if w.draftTimer != nil {
			w.draftTimer.Stop()
		}
		prefs := w.app.Preferences()
		w.draftTimer = time.AfterFunc(chatDraftEvery, func() { prefs.SetString(prefChatDraft, text) })
	}
	w.entry.onSend = w.onSend
	w.entry.onEscape = w.Hide
	w.entry.onShortcut = w.onShortcut
	w.sendBtn = &widget.Button{Text: "Send", Icon: theme.MailSendIcon(), Importance: widget.HighImportance, OnTapped: w.onSendOrStop}
	attach := &widget.Button{Icon: theme.FileImageIcon(), Importance: widget.LowImportance, OnTapped: w.onAttach}
	newChat := &widget.Button{Text: "New chat", Icon: theme.ContentAddIcon(), Importance: widget.LowImportance, OnTapped: w.onNewChat}

	w.modelSel = widget.NewSelect(nil, w.onModelChosen)
	w.modelSel.PlaceHolder = "Model"
	w.effortSel = widget.NewSelect(nil, w.onEffortChosen)
	w.effortSel.PlaceHolder = "Effort"
	w.fastChk = widget.NewCheck("Fast", w.onFastChosen)
	w.fastChk.Hide()
	pick := func(min float32, o fyne.CanvasObject) fyne.CanvasObject {
		return container.New(layout.NewGridWrapLayout(fyne.NewSize(min, o.MinSize().Height)), o)
	}
	var left fyne.CanvasObject = newChat
	if w.deps.OpenHistory != nil {
		toggle := &widget.Button{Icon: theme.MenuIcon(), Importance: widget.LowImportance, OnTapped: w.onToggleSide}
		left = container.NewHBox(toggle, newChat)
	}
	top := container.NewBorder(nil, nil, left, container.NewHBox(
		widget.NewLabel("Model"), pick(190, w.modelSel), widget.NewLabel("Effort"), pick(110, w.effortSel), w.fastChk))

	w.thumbs = container.NewHBox()
	w.thumbs.Hide()
	w.notices = container.NewVBox()
	w.notices.Hide()
	w.warn = widget.NewLabel("")
	w.warn.Importance = widget.WarningImportance
	w.warn.Wrapping = fyne.TextWrapWord
	w.warn.Hide()
	w.loginLabel = widget.NewLabel("")
	w.loginLabel.Wrapping = fyne.TextWrapWord
	w.loginBox = container.NewBorder(nil, nil, nil,
		container.NewCenter(&widget.Button{Text: "Sign in again", Importance: widget.HighImportance, OnTapped: w.onSignIn}), w.loginLabel)
	w.loginBox.Hide()
	w.meters = container.NewGridWithColumns(2)
	w.meters.Hide()

	composer := container.NewBorder(nil, nil, container.NewVBox(attach), container.NewVBox(w.sendBtn), w.entry)
	bottom := container.NewVBox(w.notices, w.warn, w.loginBox, w.thumbs, composer, w.meters)
	if w.redeem = newChatRedeem(w); w.redeem != nil {
		bottom.Objects = append([]fyne.CanvasObject{w.redeem.box}, bottom.Objects...)
	}
	listArea := container.New(&chatWidthWatcher{onResize: w.pacer.Poke}, w.list)
	w.root = container.NewBorder(container.NewVBox(top, widget.NewSeparator()), container.NewPadded(bottom), nil, nil, listArea)
	return w.root
}

// chatWidthWatcher lays its content out full size and reports size changes,
// so that message heights are measured again and the end kept in view.
type chatWidthWatcher struct {
	size     fyne.Size
	onResize func()
}

func (l *chatWidthWatcher) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
	if size != l.size {
		l.size = size
		l.onResize()
	}
}

func (l *chatWidthWatcher) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(200, 120)
}
