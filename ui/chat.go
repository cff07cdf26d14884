package ui

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/core/usage"
)

// ChatDeps is what the chat window needs from the rest of the program. The
// functions do the I/O; the window calls them off the UI goroutine.
type ChatDeps struct {
	// Stream starts a turn (chat.ClientStream of the backend client).
	Stream chat.StreamFunc
	// Backend lists the models and the usage windows; nil leaves the
	// pickers with the tray's choice and hides the meters.
	Backend Backend
	// LoadFile reads a dropped or picked file as an image (chat.LoadFile).
	LoadFile func(path string) (chat.Attachment, error)
	// ClipboardImage returns the image on the clipboard, for a paste when
	// the clipboard holds no text; nil pastes text only.
	ClipboardImage func() (chat.Attachment, error)
	// Watch follows the login (login.Service.Watch), so that sending is
	// disabled while signed out; nil assumes a usable login.
	Watch func(ctx context.Context, set login.Settings, out chan<- auth.Status) error
	// SignIn opens a terminal running `codex login`.
	SignIn func() error
	// OpenHistory opens the saved conversations (chat.OpenHistory in the
	// app's data directory); nil hides the sidebar and saves nothing.
	OpenHistory func(ctx context.Context) (ChatHistory, error)
	// WindowPosition and MoveWindow read and set where a native window is
	// (platform.WindowPosition / MoveWindow; X11, Windows and macOS), since
	// Fyne has no API for it; nil remembers only the size.
	WindowPosition func(handle uintptr) (x, y int, err error)
	MoveWindow     func(handle uintptr, x, y int) error
	// Usage is the window host's usage monitor: pace beside the meters,
	// polling every minute while an answer streams, and the offer to
	// redeem a reset credit after a usage-limit error; nil: none of them.
	Usage *usage.Monitor
}

// Preference keys of the chat window.
const (
	prefChatWidth  = "chat_width"
	prefChatHeight = "chat_height"
	prefChatX      = "chat_x"
	prefChatY      = "chat_y"
	prefChatPlaced = "chat_placed" // chat_x and chat_y hold a position
	// The composer's text and the saved conversation shown when the window
	// was last hidden: the window host exits when no window is open, and
	// the next one goes on from there.
	prefChatDraft        = "chat_draft"
	prefChatConversation = "chat_conversation"
)

// chatDraftEvery is how soon after typing stops the unsent text is kept.
const chatDraftEvery = time.Second

// chatUsageWarnAt is the share of a usage window above which sending warns.
const chatUsageWarnAt = 90.0

// ChatWindow is the chat: a virtualised list of messages, the composer with
// its images, the model and effort pickers and the usage meters. Background
// work (the stream, file loading, fetches) changes state under mu or in the
// conversation and pokes the pacer; the pacer's draws are the window's only
// way onto the UI goroutine.
type ChatWindow struct {
	app   fyne.App
	win   fyne.Window
	deps  ChatDeps
	conv  *chat.Conversation
	pacer *chat.Pacer
	post  func(func()) // runs a draw on the UI goroutine and waits for it
	ctx   context.Context
	stop  context.CancelFunc

	mu      sync.Mutex
	state   chatState
	rev     uint64 // grows with every change of state
	fetched bool

	// UI goroutine only
	drawnRev   uint64
	resets     uint64
	views      []*chatMsgView
	measure    *chatMsgRow
	width      float32
	listSize   fyne.Size
	follow     bool // keep the newest message in view
	list       *widget.List
	rows       map[fyne.CanvasObject]*chatMsgRow // the list's rows
	entry      *chatComposerEntry
	sendBtn    *widget.Button
	modelSel   *widget.Select
	effortSel  *widget.Select
	thumbs     *fyne.Container
	notices    *fyne.Container
	warn       *widget.Label
	loginBox   *fyne.Container
	loginLabel *widget.Label
	meters     *fyne.Container
	meterBars  []*widget.ProgressBar
	redeem     *chatRedeem // nil without a usage monitor
	root       *fyne.Container
	slugs      []string // model slugs in the picker's order
	attached   []chat.Attachment
	stats      chatDrawStats
	side       chatSideView
	hidden     bool   // Hide was called and Show was not since
	hiddenBusy bool   // hidden while an answer streamed: onHidden waits for its end
	onHidden   func() // the window is hidden and no answer is streaming
	resumeID   int64  // the saved conversation to go on with (prefChatConversation)
}

// chatState is what background work reports to the window.
type chatState struct {
	models    *ModelList
	model     string // the chosen slug
	effort    string
	usage     *Usage
	loginOK   bool
	loginWhy  string
	incoming  []chat.Attachment // loaded, not yet shown as thumbnails
	notices   []string
	loading   int
	signInErr string
	side      chatSide
}

// chatDrawStats measure how smooth streaming is: how long a change waited for
// its draw, and the frames that went by meanwhile.
type chatDrawStats struct {
	draws, messages int
	latencies       []time.Duration // change to widget, per changed message per draw
	framesSkipped   int
	lastDraw        time.Time
}

// NewChatWindow builds the chat window; Show opens it. It runs on the UI
// goroutine.
func NewChatWindow(a fyne.App, deps ChatDeps) *ChatWindow {
	return newChatWindow(a, deps, nil)
}

// ChatOpener returns an Options.OpenChat that builds the window on first
// use in the running app and shows it; hidden is called on the UI
// goroutine once the window is hidden and no answer is streaming.
func ChatOpener(deps ChatDeps) func(hidden func()) {
	var w *ChatWindow
	return func(hidden func()) {
		if w == nil {
			w = NewChatWindow(fyne.CurrentApp(), deps)
		}
		w.onHidden = hidden
		w.Show()
	}
}

// newChatWindow takes post for tests; nil posts with fyne.Do.
func newChatWindow(a fyne.App, deps ChatDeps, post func(func())) *ChatWindow {
	ctx, stop := context.WithCancel(context.Background())
	w := &ChatWindow{app: a, deps: deps, ctx: ctx, stop: stop, post: post, follow: true}
	w.state.loginOK = true
	prefs := a.Preferences()
	w.state.model = prefs.String(appdata.PrefDefaultModel)
	w.state.effort = prefs.String(appdata.PrefDefaultEffort)
	if w.post == nil {
		w.post = func(f func()) {
			done := make(chan struct{})
			fyne.Do(func() { f(); close(done) })
			select {
			case <-done:
			case <-w.pacer.Stopped():
			}
		}
	}
	w.pacer = chat.NewPacer(chat.Frame, func() { w.post(w.draw) })
	w.conv = chat.New(deps.Stream, w.pacer.Poke)
	w.win = a.NewWindow("Chat — Codex Tray")
	content := w.build()
	if deps.OpenHistory != nil {
		content = container.NewBorder(nil, nil, w.buildSide(), nil, content)
	}
	w.entry.SetText(prefs.String(prefChatDraft))
	w.resumeID = int64(prefs.IntWithFallback(prefChatConversation, 0))
	w.win.SetContent(content)
	w.win.Resize(fyne.NewSize(float32(prefs.FloatWithFallback(prefChatWidth, 760)), float32(prefs.FloatWithFallback(prefChatHeight, 680))))
	w.win.SetCloseIntercept(w.Hide)
	w.win.SetOnDropped(w.onDropped)
	w.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			w.Hide()
		}
	})
	w.win.Canvas().AddShortcut(newChatShortcut, func(fyne.Shortcut) { w.onNewChat() })
	w.win.Canvas().AddShortcut(toggleSideShortcut, func(fyne.Shortcut) { w.onToggleSide() })
	if deps.Watch != nil {
		go w.watchLogin()
	}
	return w
}

var newChatShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}

// Show opens the window where it was last, fetching the models and usage
// the first time.
func (w *ChatWindow) Show() {
	w.hidden, w.hiddenBusy = false, false
	w.win.Show()
	w.restorePosition()
	w.win.RequestFocus()
	w.win.Canvas().Focus(w.entry)
	w.mu.Lock()
	first := !w.fetched
	w.fetched = true
	w.mu.Unlock()
	if first {
		go w.fetchBackend()
		if w.deps.OpenHistory != nil {
			go w.openHistory()
		}
	}
}

// Hide hides the window and remembers its size and position, the
// composer's text and the conversation shown; the conversation stays.
func (w *ChatWindow) Hide() {
	prefs := w.app.Preferences()
	s := w.win.Canvas().Size()
	if s.Width > 0 && s.Height > 0 {
		prefs.SetFloat(prefChatWidth, float64(s.Width))
		prefs.SetFloat(prefChatHeight, float64(s.Height))
	}
	prefs.SetString(prefChatDraft, w.entry.Text)
	if h := w.hist(); h != nil {
		prefs.SetInt(prefChatConversation, int(h.Current()))
	}
	w.nativeWindow(func(h uintptr) {
		if w.deps.WindowPosition == nil {
			return
		}
		if x, y, err := w.deps.WindowPosition(h); err == nil {
			prefs.SetInt(prefChatX, x)
			prefs.SetInt(prefChatY, y)
			prefs.SetBool(prefChatPlaced, true)
		}
	})
	w.win.Hide()
	w.hidden = true
	if w.conv.Busy() {
		w.hiddenBusy = true
	} else if w.onHidden != nil {
		w.onHidden()
	}
}

// restorePosition puts the window where Hide last found it.
func (w *ChatWindow) restorePosition() {
	prefs := w.app.Preferences()
	// A monitor left of or above the primary one has negative coordinates:
	// whether there is a position at all is its own key.
	x, y := prefs.IntWithFallback(prefChatX, -1), prefs.IntWithFallback(prefChatY, -1)
	placed := prefs.BoolWithFallback(prefChatPlaced, x >= 0 && y >= 0)
	if !placed || w.deps.MoveWindow == nil {
		return
	}
	w.nativeWindow(func(h uintptr) { _ = w.deps.MoveWindow(h, x, y) })
}

// nativeWindow runs f with the window's native handle (an X11 window, an
// HWND or an NSWindow pointer), when it has one. A native Wayland build is
// skipped: xdg-shell gives clients no way to read or set a toplevel's position.
func (w *ChatWindow) nativeWindow(f func(handle uintptr)) {
	nw, ok := w.win.(driver.NativeWindow)
	if !ok {
		return
	}
	nw.RunNative(func(ctx any) {
		var h uintptr
		switch c := ctx.(type) {
		case driver.X11WindowContext:
			h = c.WindowHandle
		case driver.WindowsWindowContext:
			h = c.HWND
		case driver.MacWindowContext:
			h = c.NSWindow
		}
		if h != 0 {
			f(h)
		}
	})
}

// Close stops the window's background work and closes it (tests; the app
// keeps the window until it quits).
func (w *ChatWindow) Close() {
	w.stop()
	if w.side.timer != nil {
		w.side.timer.Stop()
	}
	w.conv.Stop()
	w.conv.Wait()
	w.pacer.Close()
	w.win.Close()
}

// Attach adds image files to the composer as a drop would; UI goroutine.
func (w *ChatWindow) Attach(paths ...string) { w.load(paths) }

// ChatStats say how smooth the drawing was: Latency is the time from a
// change of a message (a streamed delta) to the widgets showing it, per
// changed message per draw; FramesSkipped counts the whole frames a change
// waited beyond the one it arrived in.
type ChatStats struct {
	Draws         int
	Changes       int
	FramesSkipped int
	LatencyP50    time.Duration
	LatencyP95    time.Duration
	LatencyMax    time.Duration
	Messages      int
	Attached      int // images waiting in the composer
	Busy          bool
	Pending       bool // a change is waiting for its draw
}

// DrawStats returns the figures so far; UI goroutine.
func (w *ChatWindow) DrawStats() ChatStats {
	st := ChatStats{Draws: w.stats.draws, Changes: w.stats.messages, FramesSkipped: w.stats.framesSkipped,
		Messages: len(w.views), Attached: len(w.attached), Busy: w.conv.Busy()}
	n := w.conv.Len()
	st.Pending = n != len(w.views) || n > 0 && w.views[n-1].rev != w.conv.Message(n-1).Rev
	if l := append([]time.Duration(nil), w.stats.latencies...); len(l) > 0 {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		st.LatencyP50, st.LatencyP95, st.LatencyMax = l[len(l)/2], l[len(l)*95/100], l[len(l)-1]
	}
	return st
}

// changed records a change of state and asks for a draw; any goroutine.
func (w *ChatWindow) changed(f func(s *chatState)) {
	w.mu.Lock()
	f(&w.state)
	w.rev++
	w.mu.Unlock()
	w.pacer.Poke()
}

func (w *ChatWindow) build() fyne.CanvasObject {
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
	var draftTimer *time.Timer
	w.entry.OnChanged = func(text string) {
		if draftTimer != nil {
			draftTimer.Stop()
		}
		prefs := w.app.Preferences()
		draftTimer = time.AfterFunc(chatDraftEvery, func() { prefs.SetString(prefChatDraft, text) })
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
	pick := func(min float32, o fyne.CanvasObject) fyne.CanvasObject {
		return container.New(layout.NewGridWrapLayout(fyne.NewSize(min, o.MinSize().Height)), o)
	}
	var left fyne.CanvasObject = newChat
	if w.deps.OpenHistory != nil {
		toggle := &widget.Button{Icon: theme.MenuIcon(), Importance: widget.LowImportance, OnTapped: w.onToggleSide}
		left = container.NewHBox(toggle, newChat)
	}
	top := container.NewBorder(nil, nil, left, container.NewHBox(
		widget.NewLabel("Model"), pick(190, w.modelSel), widget.NewLabel("Effort"), pick(110, w.effortSel)))

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

// draw brings the widgets up to date with the conversation and the state:
// the seam's only work on the UI goroutine. Only changed messages are
// parsed and measured.
func (w *ChatWindow) draw() {
	now := time.Now()
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
	w.stats.lastDraw = now
}

// atBottom reports whether the list shows the end of the conversation, as
// it was last laid out.
func (w *ChatWindow) atBottom() bool {
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
func (w *ChatWindow) drawState() {
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
		u := usageFromRateLimits(rl)
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
	w.drawUsage(busy)
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

	w.drawMeters(w.meterUsage(s.usage))
	w.drawSide(s.side)
	w.root.Refresh() // shown or hidden parts change the bottom's height
}

func (w *ChatWindow) drawPickers(s chatState) {
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
		names = append(names, chatModelName(m))
		if m.Slug == s.model {
			sel = chatModelName(m)
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
}

func chatModelName(m Model) string {
	if m.Name != "" && m.Name != m.Slug {
		return m.Name
	}
	return m.Slug
}

func (w *ChatWindow) drawMeters(u *Usage) {
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
	for i, win := range u.Windows {
		b := w.meterBars[i]
		label := chatWindowLabel(win.Minutes)
		if win.Label != "" {
			label = win.Label
		}
		pct := win.UsedPercent
		resets := ""
		if !win.ResetsAt.IsZero() {
			resets = " · resets " + usage.Clock(win.ResetsAt, time.Now(), time.Local) // as the tray and the status window say it
		}
		text := fmt.Sprintf("%s: %.0f %% used%s", label, pct, resets)
		if pace := w.paceFor(win.Minutes); pace != "" {
			text += " · " + pace
		}
		b.TextFormatter = func() string { return text }
		b.Max, b.Value = 100, math.Min(pct, 100)
		b.Refresh()
		w.meters.Objects = append(w.meters.Objects, b)
		if pct >= chatUsageWarnAt {
			warn = append(warn, fmt.Sprintf("%s window %.0f %% used%s", label, pct, resets))
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

func chatWindowLabel(minutes int) string {
	switch {
	case minutes <= 0:
		return "Usage"
	case minutes%(7*24*60) == 0:
		return "Week"
	case minutes%60 == 0 && minutes < 24*60:
		return fmt.Sprintf("%d h", minutes/60)
	case minutes%(24*60) == 0:
		return fmt.Sprintf("%d d", minutes/(24*60))
	}
	return fmt.Sprintf("%d min", minutes)
}

func (w *ChatWindow) drawThumbs() {
	w.thumbs.Objects = w.thumbs.Objects[:0]
	for i, a := range w.attached {
		img := newChatThumb(a)
		i := i
		rm := &widget.Button{Icon: theme.CancelIcon(), Importance: widget.LowImportance, OnTapped: func() { w.removeAttachment(i) }}
		w.thumbs.Objects = append(w.thumbs.Objects, container.NewBorder(nil, nil, nil, container.NewVBox(rm), img))
	}
	w.thumbs.Hidden = len(w.attached) == 0
	w.thumbs.Refresh()
	w.root.Refresh()
}

func (w *ChatWindow) removeAttachment(i int) {
	if i < len(w.attached) {
		w.attached = append(w.attached[:i], w.attached[i+1:]...)
	}
	w.drawThumbs()
}

func (w *ChatWindow) dismissNotice(i int) {
	w.changed(func(s *chatState) {
		if i < len(s.notices) {
			s.notices = append(s.notices[:i], s.notices[i+1:]...)
		}
	})
}

// The handlers below run on the UI goroutine.

func (w *ChatWindow) onSendOrStop() {
	if w.conv.Busy() {
		w.conv.Stop()
		return
	}
	w.onSend()
}

func (w *ChatWindow) onSend() {
	w.mu.Lock()
	s := w.state
	w.mu.Unlock()
	if w.conv.Busy() || !s.loginOK {
		return
	}
	text := strings.TrimSpace(w.entry.Text)
	if text == "" && len(w.attached) == 0 {
		return
	}
	model := s.model
	if model == "" && s.models != nil {
		model = s.models.Default
	}
	if model == "" {
		w.notice("No model is known yet: wait for the model list, or pick one in the tray menu.")
		return
	}
	w.follow = true
	if err := w.conv.Send(w.ctx, text, w.attached, model, s.effort); err != nil {
		w.notice(err.Error())
		return
	}
	w.entry.SetText("")
	w.attached = nil
	w.drawThumbs()
}

func (w *ChatWindow) notice(msg string) {
	w.changed(func(s *chatState) { s.notices = append(s.notices, msg) })
}

func (w *ChatWindow) onAction(a chat.Action) {
	switch a {
	case chat.ActionRetry:
		w.follow = true
		if err := w.conv.Retry(w.ctx); err != nil {
			w.notice(err.Error())
		}
	case chat.ActionSignIn:
		w.onSignIn()
	case chat.ActionNewChat:
		w.onNewChat()
	}
}

func (w *ChatWindow) onSignIn() {
	if w.deps.SignIn == nil {
		w.changed(func(s *chatState) { s.signInErr = "Run `codex login` in a terminal." })
		return
	}
	go func() {
		err := w.deps.SignIn()
		w.changed(func(s *chatState) {
			s.signInErr = ""
			if err != nil {
				s.signInErr = "No terminal could be opened: run `codex login` in a terminal."
			}
		})
	}()
}

func (w *ChatWindow) onNewChat() {
	w.conv.Reset()
	if h := w.hist(); h != nil {
		h.SetCurrent(0, w.conv.Session())
		w.changed(func(s *chatState) { s.side.current = 0 })
	}
	w.side.shown = 0
	if w.side.list != nil {
		w.selectShown()
		w.drawSideActions()
	}
	w.entry.SetText("")
	w.attached = nil
	w.drawThumbs()
	w.win.Canvas().Focus(w.entry)
}

func (w *ChatWindow) toggleReasoning(v *chatMsgView) {
	v.reasoningOpen, v.reasoningSet = !v.reasoningOpen, true
	v.width = 0
	w.pacer.Poke()
}

func (w *ChatWindow) copyText(s string) { w.app.Clipboard().SetContent(s) }

func (w *ChatWindow) onModelChosen(name string) {
	for i, n := range w.modelSel.Options {
		if n == name && i < len(w.slugs) {
			slug := w.slugs[i]
			w.changed(func(s *chatState) {
				s.model = slug
				if s.models != nil {
					m, _ := s.models.Find(slug)
					s.effort = chatEffortFor(m, s.effort)
				}
			})
			return
		}
	}
}

func (w *ChatWindow) onEffortChosen(e string) {
	w.changed(func(s *chatState) { s.effort = e })
}

// chatEffortFor keeps want when the model supports it, else its default.
func chatEffortFor(m Model, want string) string {
	for _, e := range m.Efforts {
		if e == want {
			return want
		}
	}
	return m.DefaultEffort
}

// onShortcut handles the window's shortcuts while the composer has focus.
func (w *ChatWindow) onShortcut(s fyne.Shortcut) bool {
	switch sc := s.(type) {
	case *desktop.CustomShortcut:
		if sc.KeyName == newChatShortcut.KeyName && sc.Modifier == newChatShortcut.Modifier {
			w.onNewChat()
			return true
		}
		if sc.KeyName == toggleSideShortcut.KeyName && sc.Modifier == toggleSideShortcut.Modifier {
			w.onToggleSide()
			return true
		}
	case *fyne.ShortcutPaste:
		text := w.app.Clipboard().Content()
		if paths := chatFilePaths(text); len(paths) > 0 {
			w.load(paths)
			return true
		}
		if strings.TrimSpace(text) == "" && w.deps.ClipboardImage != nil {
			w.changed(func(s *chatState) { s.loading++ })
			go func() {
				a, err := w.deps.ClipboardImage()
				w.changed(func(s *chatState) {
					s.loading--
					if err != nil {
						s.notices = append(s.notices, err.Error())
					} else {
						s.incoming = append(s.incoming, a)
					}
				})
			}()
			return true
		}
	}
	return false
}

// chatFilePaths returns the local paths of a text made only of file:// URIs
// (what file managers put on the clipboard).
func chatFilePaths(text string) []string {
	var out []string
	for _, line := range strings.Fields(text) {
		u, err := storage.ParseURI(line)
		if err != nil || u.Scheme() != "file" {
			return nil
		}
		out = append(out, u.Path())
	}
	return out
}

func (w *ChatWindow) onDropped(_ fyne.Position, uris []fyne.URI) {
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		} else {
			w.notice(u.String() + " is not a local file; drop image files.")
		}
	}
	w.load(paths)
}

func (w *ChatWindow) onAttach() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		_ = r.Close()
		w.load([]string{path})
	}, w.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".gif", ".webp"}))
	d.Show()
}

// load prepares files as images in the background, in order; a file that
// fails gets a notice and the others still attach.
func (w *ChatWindow) load(paths []string) {
	if len(paths) == 0 {
		return
	}
	loadFile := w.deps.LoadFile
	if loadFile == nil {
		loadFile = chat.LoadFile
	}
	w.changed(func(s *chatState) { s.loading += len(paths) })
	go func() {
		for _, p := range paths {
			a, err := loadFile(p)
			w.changed(func(s *chatState) {
				s.loading--
				if err != nil {
					s.notices = append(s.notices, err.Error())
					return
				}
				s.incoming = append(s.incoming, a)
				if a.Resized {
					s.notices = append(s.notices, fmt.Sprintf("%s was scaled down from %d×%d to %d×%d to fit the limits.",
						a.Name, a.OrigW, a.OrigH, a.Width, a.Height))
				}
			})
		}
	}()
}

// fetchBackend reads the models and usage windows; background.
func (w *ChatWindow) fetchBackend() {
	b := w.deps.Backend
	if b == nil {
		return
	}
	ctx, cancel := context.WithTimeout(w.ctx, time.Minute)
	defer cancel()
	models, merr := b.Models(ctx)
	usage, uerr := b.Usage(ctx)
	w.changed(func(s *chatState) {
		if merr == nil {
			s.models = &models
			m, ok := models.Find(s.model)
			if !ok {
				s.model = models.Default
				m, _ = models.Find(s.model)
			}
			s.effort = chatEffortFor(m, s.effort)
		}
		if uerr == nil {
			s.usage = &usage
		}
	})
}

// watchLogin follows the login until the window's context ends.
func (w *ChatWindow) watchLogin() {
	out := make(chan auth.Status)
	go func() { _ = w.deps.Watch(w.ctx, login.Settings{}, out) }()
	for st := range out {
		ok := st.State != auth.StateLoggedOut && st.State != auth.StateReloginRequired && st.State != auth.StateError
		why := st.Message
		w.changed(func(s *chatState) { s.loginOK, s.loginWhy = ok, "Sending is off: "+why })
	}
}
