package chatwin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/history"
	"github.com/codextray/codextray/core/provider"
)

// History keeps the conversations (chat.History over core/history):
// it records the turns of the conversation shown and lists, searches,
// loads, renames, deletes and exports saved ones. Its methods do I/O; the
// window calls them off the UI goroutine (SetCurrent and Current are
// cheap).
type History interface {
	chat.Recorder
	Recovered() string
	OnProblem(func(string))
	OnChange(func())
	Current() int64
	SetCurrent(id int64, session string)
	Conversations(ctx context.Context) ([]history.Conversation, error)
	Search(ctx context.Context, query string) ([]history.Hit, error)
	Load(ctx context.Context, id int64) ([]chat.Message, []provider.Item, string, error)
	Rename(ctx context.Context, id int64, title string) error
	Delete(ctx context.Context, id int64) error
	Undelete(ctx context.Context, id int64) error
	Purge(ctx context.Context, before time.Time) error
	Export(ctx context.Context, id int64, dir string) (string, error)
}

// Sidebar timings.
const (
	chatSearchDelay = 250 * time.Millisecond // typing pauses this long before a search
	chatUndoFor     = 8 * time.Second        // a deleted conversation can be brought back this long
	chatSideWidth   = 250
)

var toggleSideShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyB, Modifier: fyne.KeyModifierShortcutDefault}

// chatSideItem is one row of the sidebar: a conversation, or a search hit
// in one.
type chatSideItem struct {
	id    int64
	title string
	sub   string // when it was updated, or the matching words
}

// chatDeleted is a deletion that can still be undone.
type chatDeleted struct {
	id    int64
	title string
	at    time.Time
}

// chatSide is the sidebar's part of chatState.
type chatSide struct {
	hist    History // nil until opened (or when it cannot be)
	query   string
	items   []chatSideItem
	rev     uint64 // grows with every new list
	current int64  // the saved conversation the turns go to
	err     string
	deleted *chatDeleted
}

// chatSideView is the sidebar's widgets; UI goroutine only.
type chatSideView struct {
	box        *fyne.Container
	search     *widget.Entry
	list       *widget.List
	items      []chatSideItem
	drawnRev   uint64
	empty      *widget.Label
	undoLabel  *widget.Label
	undoBox    *fyne.Container
	rename     *widget.Button
	export     *widget.Button
	del        *widget.Button
	shown      int64 // the conversation in the window; 0: a new one
	selecting  bool  // the list's selection is being set by the window
	userHidden bool  // toggled off (Ctrl/Cmd+B)
	timer      *time.Timer
	reload     chan struct{} // capacity one: reloads coalesce
	undoFor    time.Duration
}

// buildSide makes the sidebar (hidden until the history is open).
func (w *Window) buildSide() fyne.CanvasObject {
	v := &w.side
	v.reload = make(chan struct{}, 1)
	v.undoFor = chatUndoFor
	v.search = widget.NewEntry()
	v.search.PlaceHolder = "Search conversations"
	v.search.ActionItem = widget.NewIcon(theme.SearchIcon())
	v.search.OnChanged = w.onSearch
	v.list = widget.NewList(
		func() int { return len(v.items) },
		func() fyne.CanvasObject { return newChatSideRow(w) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(v.items) {
				o.(*chatSideRow).bind(v.items[id])
			}
		})
	v.list.OnSelected = w.onSideSelected
	v.empty = widget.NewLabel("")
	v.empty.Wrapping = fyne.TextWrapWord
	v.empty.Importance = widget.LowImportance
	v.empty.Hide()
	v.undoLabel = widget.NewLabel("")
	v.undoLabel.Wrapping = fyne.TextWrapWord
	undo := &widget.Button{Text: "Undo", Icon: theme.ContentUndoIcon(), Importance: widget.HighImportance, OnTapped: w.onUndoDelete}
	v.undoBox = container.NewBorder(nil, nil, nil, container.NewCenter(undo), v.undoLabel)
	v.undoBox.Hide()
	v.rename = &widget.Button{Icon: theme.DocumentCreateIcon(), Importance: widget.LowImportance, OnTapped: func() { w.onRename(v.shown) }}
	v.export = &widget.Button{Icon: theme.DownloadIcon(), Importance: widget.LowImportance, OnTapped: func() { w.onExport(v.shown) }}
	v.del = &widget.Button{Icon: theme.DeleteIcon(), Importance: widget.LowImportance, OnTapped: func() { w.onDelete(v.shown) }}
	actions := container.NewHBox(widget.NewLabelWithStyle("This chat:", fyne.TextAlignLeading, fyne.TextStyle{Italic: true}),
		v.rename, v.export, v.del)
	center := container.NewStack(v.list, container.NewVBox(v.empty))
	inner := container.NewBorder(container.NewPadded(v.search), container.NewVBox(v.undoBox, widget.NewSeparator(), actions), nil, nil, center)
	v.box = container.NewBorder(nil, nil, nil, widget.NewSeparator(), container.New(&chatFixedWidth{width: chatSideWidth}, inner))
	v.box.Hide()
	w.drawSideActions()
	return v.box
}

// chatFixedWidth asks for a fixed width and lays its content out full size.
type chatFixedWidth struct{ width float32 }

func (l *chatFixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}

func (l *chatFixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(l.width, h)
}

// chatSideRow shows a conversation: its title and a second line. Double
// click renames it; right click offers its actions.
type chatSideRow struct {
	widget.BaseWidget
	w     *Window
	item  chatSideItem
	title *widget.Label
	sub   *widget.Label
}

func newChatSideRow(w *Window) *chatSideRow {
	r := &chatSideRow{w: w, title: widget.NewLabel(""), sub: widget.NewLabel("")}
	r.title.Truncation = fyne.TextTruncateEllipsis
	r.sub.Truncation = fyne.TextTruncateEllipsis
	r.sub.SizeName = theme.SizeNameCaptionText
	r.ExtendBaseWidget(r)
	return r
}

func (r *chatSideRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.New(&chatTightRows{}, r.title, r.sub))
}

func (r *chatSideRow) bind(it chatSideItem) {
	r.item = it
	r.title.SetText(it.title)
	r.sub.SetText(it.sub)
}

func (r *chatSideRow) DoubleTapped(*fyne.PointEvent) { r.w.onRename(r.item.id) }

func (r *chatSideRow) TappedSecondary(e *fyne.PointEvent) {
	id := r.item.id
	m := fyne.NewMenu("",
		fyne.NewMenuItem("Rename…", func() { r.w.onRename(id) }),
		fyne.NewMenuItem("Export to Markdown…", func() { r.w.onExport(id) }),
		fyne.NewMenuItem("Delete", func() { r.w.onDelete(id) }))
	widget.ShowPopUpMenuAtPosition(m, r.w.win.Canvas(), e.AbsolutePosition)
}

// chatTightRows stacks two labels with less space between them than a VBox.
type chatTightRows struct{}

func (chatTightRows) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	overlap := theme.Padding() * 1.5
	for i, o := range objs {
		h := o.MinSize().Height
		if i > 0 {
			y -= overlap
		}
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h
	}
}

func (chatTightRows) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for i, o := range objs {
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height
		if i > 0 {
			s.Height -= theme.Padding() * 1.5
		}
	}
	return s
}

// openHistory opens the history in the background; the chat works without
// it, with a notice saying why nothing is saved.
func (w *Window) openHistory() {
	h, err := w.deps.OpenHistory(w.ctx)
	if err != nil {
		w.notice(fmt.Sprintf("Conversations are not being saved: %v. This chat still works; restart Codex Tray to try again.", err))
		return
	}
	if msg := h.Recovered(); msg != "" {
		w.notice(msg)
	}
	// Not saving (read-only, busy, disk full) is said once, and the chat goes on.
	h.OnProblem(w.notice)
	_ = h.Purge(w.ctx, time.Now()) // deletions a quit left without their purge
	h.SetCurrent(0, w.conv.Session())
	h.OnChange(w.reloadSide)
	w.conv.SetRecorder(h)
	w.changed(func(s *chatState) { s.side.hist = h })
	go w.sideLoader(h)
	// The window of an earlier window host goes on where it was hidden.
	if id := w.resumeID; id > 0 && w.conv.Len() == 0 {
		w.loadConversation(h, id)
	}
	w.reloadSide()
}

// reloadSide asks for the list to be read again; any goroutine.
func (w *Window) reloadSide() {
	select {
	case w.side.reload <- struct{}{}:
	default:
	}
}

// sideLoader reads the list (or the search's hits) whenever asked, until
// the window closes.
func (w *Window) sideLoader(h History) {
	for {
		select {
		case <-w.side.reload:
		case <-w.ctx.Done():
			return
		}
		w.mu.Lock()
		q, f := strings.TrimSpace(w.state.side.query), w.state.format
		w.mu.Unlock()
		var items []chatSideItem
		var err error
		if q == "" {
			var convs []history.Conversation
			convs, err = h.Conversations(w.ctx)
			for _, c := range convs {
				items = append(items, chatSideItem{id: c.ID, title: c.Title, sub: f.Ago(c.UpdatedAt, time.Now())})
			}
		} else {
			var hits []history.Hit
			hits, err = h.Search(w.ctx, q)
			seen := map[int64]bool{}
			for _, hit := range hits {
				if !seen[hit.ConversationID] {
					seen[hit.ConversationID] = true
					items = append(items, chatSideItem{id: hit.ConversationID, title: hit.Title, sub: strings.Join(strings.Fields(hit.Snippet), " ")})
				}
			}
		}
		cur := h.Current()
		w.changed(func(s *chatState) {
			s.side.items, s.side.current = items, cur
			s.side.rev++
			s.side.err = ""
			if err != nil {
				s.side.err = "The conversations cannot be read: " + err.Error()
			}
		})
	}
}

// drawSide applies the sidebar's state; part of drawState.
func (w *Window) drawSide(s chatSide) {
	v := &w.side
	if s.hist == nil {
		return
	}
	if v.box.Hidden && !v.userHidden {
		v.box.Show()
	}
	if v.shown == 0 && s.current != 0 {
		v.shown = s.current // the new conversation was saved with its first message
	}
	if s.rev != v.drawnRev {
		v.drawnRev = s.rev
		v.items = s.items
		v.list.Refresh()
		switch {
		case s.err != "":
			v.empty.SetText(s.err)
		case len(s.items) == 0 && s.query != "":
			v.empty.SetText("No conversation matches.")
		case len(s.items) == 0:
			v.empty.SetText("Saved conversations appear here.")
		default:
			v.empty.SetText("")
		}
		v.empty.Hidden = v.empty.Text == ""
	}
	w.selectShown()
	if s.deleted != nil {
		v.undoLabel.SetText(fmt.Sprintf("Deleted “%s”.", s.deleted.title))
		v.undoBox.Show()
	} else {
		v.undoBox.Hide()
	}
	w.drawSideActions()
}

// selectShown highlights the conversation in the window.
func (w *Window) selectShown() {
	v := &w.side
	v.selecting = true
	defer func() { v.selecting = false }()
	for i, it := range v.items {
		if it.id == v.shown {
			v.list.Select(i)
			return
		}
	}
	v.list.UnselectAll()
}

func (w *Window) drawSideActions() {
	v := &w.side
	for _, b := range []*widget.Button{v.rename, v.export, v.del} {
		if v.shown == 0 {
			b.Disable()
		} else {
			b.Enable()
		}
	}
}

func (w *Window) hist() History {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state.side.hist
}

// The handlers below run on the UI goroutine.
