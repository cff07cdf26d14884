// Package chatwin is the chat window, one of the window host's views: a
// virtualised list of messages, the composer with its images, the model
// and effort pickers, the usage meters and the saved conversations. It is
// fed the host's State (the login, models and usage: Update) like every
// other window, streams through core/chat, and reaches the UI goroutine
// only through its pacer's draws, at most once a frame.
package chatwin

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/textfmt"
	"github.com/codextray/codextray/ui/view"
)

// Deps is what the chat window needs besides the State: the functions do
// the I/O, and the window calls them off the UI goroutine.
type Deps struct {
	// Stream starts a turn (chat.ClientStream of the backend client).
	Stream chat.StreamFunc
	// LoadFile reads a dropped or picked file as an image (chat.LoadFile).
	LoadFile func(path string) (chat.Attachment, error)
	// ClipboardImage returns the image on the clipboard, for a paste when
	// the clipboard holds no text; nil pastes text only.
	ClipboardImage func(ctx context.Context) (chat.Attachment, error)
	// SignIn opens a terminal running `codex login`.
	SignIn func() error
	// OpenHistory opens the saved conversations (chat.OpenHistory in the
	// app's data directory); nil hides the sidebar and saves nothing.
	OpenHistory func(ctx context.Context) (History, error)
	// WindowPosition and MoveWindow read and set where a native window is
	// (platform.WindowPosition / MoveWindow; X11, Windows and macOS), since
	// Fyne has no API for it; nil remembers only the size.
	WindowPosition func(handle uintptr) (x, y int, err error)
	MoveWindow     func(handle uintptr, x, y int) error
	// Usage is the window host's usage monitor, through its controller:
	// polling every minute while an answer streams, and the offer to
	// redeem a reset credit after a usage-limit error; nil: neither.
	Usage UsageActions
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

// Window is the chat. Background work (the stream, file loading, the
// history, the host's State) changes state under mu or in the conversation
// and pokes the pacer; the pacer's draws are the window's only way onto
// the UI goroutine.
type Window struct {
	app   fyne.App
	win   fyne.Window
	deps  Deps
	conv  *chat.Conversation
	pacer *chat.Pacer
	post  func(func()) // runs a draw on the UI goroutine and waits for it
	ctx   context.Context
	stop  context.CancelFunc

	mu    sync.Mutex
	state chatState
	rev   uint64 // grows with every change of state
	// hostUsage is the last usage the host's State brought; an answer's
	// rate-limit headers replace it in state.usage until the next one.
	hostUsage *view.Usage
	opened    bool // the history was asked for (on the first Show)

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
	fastChk    *widget.Check // the priority service tier, where the model has it
	thumbs     *fyne.Container
	notices    *fyne.Container
	warn       *widget.Label
	loginBox   *fyne.Container
	loginLabel *widget.Label
	meters     *fyne.Container
	meterBars  []*widget.ProgressBar
	redeem     *chatRedeem // nil without Deps.Usage
	streaming  bool        // what the monitor was last told
	root       *fyne.Container
	slugs      []string // model slugs in the picker's order
	attached   []chat.Attachment
	stats      chatDrawStats
	side       chatSideView
	hiddenBusy bool        // hidden while an answer streamed: onHidden waits for its end
	onHidden   func()      // the window is hidden and no answer is streaming
	resumeID   int64       // the saved conversation to go on with (prefChatConversation)
	draftTimer *time.Timer // keeps the composer's text a second after typing stops
}

// chatState is what background work reports to the window.
type chatState struct {
	format    textfmt.Format
	now       time.Time // the State's clock; zero before the first
	models    *view.ModelList
	model     string // the chosen slug
	effort    string
	fast      bool // Fast (priority tier) chosen; sent only to models that offer it
	usage     *view.Usage
	credits   int // reset credits available (the host's usage monitor)
	loginOK   bool
	loginWhy  string
	incoming  []chat.Attachment // loaded, not yet shown as thumbnails
	notices   []string
	loading   int
	signInErr string
	side      chatSide
}

// New builds the chat window in a; Show opens it. It runs on the UI
// goroutine.
func New(a fyne.App, deps Deps) *Window {
	return newWindow(a, deps, nil)
}

// OnHidden sets what runs, on the UI goroutine, once the window is hidden
// and no answer is streaming (the host exits when nothing else is open).
func (w *Window) OnHidden(f func()) { w.onHidden = f }

// newWindow takes post for tests; nil posts with fyne.Do.
func newWindow(a fyne.App, deps Deps, post func(func())) *Window {
	ctx, stop := context.WithCancel(context.Background())
	w := &Window{app: a, deps: deps, ctx: ctx, stop: stop, post: post, follow: true}
	w.state.loginOK = true
	prefs := a.Preferences()
	w.state.model = prefs.String(appdata.PrefDefaultModel)
	w.state.effort = prefs.String(appdata.PrefDefaultEffort)
	w.state.fast = prefs.Bool(appdata.PrefFast)
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
	return w
}

var newChatShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}

// Show opens the window where it was last, opening the saved
// conversations the first time.
func (w *Window) Show() {
	w.hiddenBusy = false
	w.win.Show()
	w.restorePosition()
	w.win.RequestFocus()
	w.win.Canvas().Focus(w.entry)
	if !w.opened && w.deps.OpenHistory != nil {
		w.opened = true
		go w.openHistory() // ends with the window's context
	}
}

// Hide hides the window and remembers its size and position, the
// composer's text and the conversation shown; the conversation stays.
func (w *Window) Hide() {
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
	if w.conv.Busy() {
		w.hiddenBusy = true
	} else if w.onHidden != nil {
		w.onHidden()
	}
}

// restorePosition puts the window where Hide last found it.
func (w *Window) restorePosition() {
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
func (w *Window) nativeWindow(f func(handle uintptr)) {
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
func (w *Window) Close() {
	w.stop()
	if w.draftTimer != nil {
		w.draftTimer.Stop()
	}
	if w.side.timer != nil {
		w.side.timer.Stop()
	}
	w.conv.Stop()
	w.conv.Wait()
	w.pacer.Close()
	w.win.Close()
}

// Attach adds image files to the composer as a drop would; UI goroutine.
func (w *Window) Attach(paths ...string) { w.load(paths) }

// changed records a change of state and asks for a draw; any goroutine.
func (w *Window) changed(f func(s *chatState)) {
	w.mu.Lock()
	f(&w.state)
	w.rev++
	w.mu.Unlock()
	w.pacer.Poke()
}

// Update takes the host's State: the login (sending is off while Codex is
// signed out), the model list and the usage windows, and the format of
// times. Only a change that shows asks for a draw: the State's clock ticks
// every second. Any goroutine.
func (w *Window) Update(v view.State) {
	ok, why := v.CanSend(), "Sending is off: "+v.Status.Message
	w.mu.Lock()
	w.state.now = v.Now // the meters' clock; alone not worth a draw
	s := w.state
	credits := 0
	if v.UsageSnap != nil {
		credits = v.UsageSnap.CreditsAvailable
	}
	same := s.format == v.Format && s.loginOK == ok && (ok || s.loginWhy == why) &&
		(v.Models == nil || v.Models == s.models) && (v.Usage == nil || v.Usage == w.hostUsage) && s.credits == credits
	w.mu.Unlock()
	if same {
		return
	}
	w.changed(func(s *chatState) {
		s.format, s.loginOK, s.loginWhy, s.credits = v.Format, ok, why, credits
		if v.Models != nil && v.Models != s.models {
			s.models = v.Models
			m, found := s.models.Find(s.model)
			if !found {
				s.model = s.models.Default
				m, _ = s.models.Find(s.model)
			}
			s.effort = effortNoted(s, m, s.effort)
		}
		if v.Usage != nil && v.Usage != w.hostUsage {
			w.hostUsage, s.usage = v.Usage, v.Usage
		}
	})
}

// notice shows msg above the composer until dismissed; any goroutine.
func (w *Window) notice(msg string) {
	w.changed(func(s *chatState) { s.notices = append(s.notices, msg) })
}

func (w *Window) dismissNotice(i int) {
	w.changed(func(s *chatState) {
		if i < len(s.notices) {
			s.notices = append(s.notices[:i], s.notices[i+1:]...)
		}
	})
}
