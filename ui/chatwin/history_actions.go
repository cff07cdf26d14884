package chatwin

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

func (w *Window) onToggleSide() {
	v := &w.side
	if w.hist() == nil {
		return
	}
	v.userHidden = !v.box.Hidden
	v.box.Hidden = v.userHidden
	w.win.Content().Refresh()
}

func (w *Window) onSearch(q string) {
	w.mu.Lock()
	w.state.side.query = q
	w.mu.Unlock()
	if w.side.timer != nil {
		w.side.timer.Stop()
	}
	w.side.timer = time.AfterFunc(chatSearchDelay, w.reloadSide)
}

func (w *Window) onSideSelected(i widget.ListItemID) {
	v := &w.side
	if v.selecting || i >= len(v.items) || v.items[i].id == v.shown {
		return
	}
	h := w.hist()
	if h == nil {
		return
	}
	id := v.items[i].id
	v.shown = id
	w.drawSideActions()
	w.follow = true
	go w.loadConversation(h, id)
}

// loadConversation shows the saved conversation id and sends the next turn
// to it; off the UI goroutine.
func (w *Window) loadConversation(h History, id int64) {
	msgs, items, session, err := h.Load(w.ctx, id)
	if err != nil {
		w.notice("This conversation cannot be opened: " + err.Error())
		return
	}
	w.conv.Stop()
	w.conv.Wait()
	h.SetCurrent(id, session)
	w.conv.LoadSession(session, msgs, items)
	if n := len(msgs); n > 0 {
		last := msgs[n-1]
		w.changed(func(s *chatState) {
			if last.Model != "" {
				s.model = last.Model
			}
			if last.Effort != "" {
				s.effort = last.Effort
			}
		})
	}
}

func (w *Window) titleOf(id int64) string {
	for _, it := range w.side.items {
		if it.id == id {
			return it.title
		}
	}
	return ""
}

func (w *Window) onRename(id int64) {
	h := w.hist()
	if h == nil || id == 0 {
		return
	}
	e := widget.NewEntry()
	e.SetText(w.titleOf(id))
	d := dialog.NewForm("Rename conversation", "Rename", "Cancel", []*widget.FormItem{widget.NewFormItem("Title", e)}, func(ok bool) {
		if ok {
			w.renameTo(h, id, e.Text)
		}
	}, w.win)
	d.Resize(fyne.NewSize(420, d.MinSize().Height))
	d.Show()
	w.win.Canvas().Focus(e)
}

func (w *Window) renameTo(h History, id int64, title string) {
	go func() {
		if err := h.Rename(w.ctx, id, title); err != nil {
			w.notice("The conversation was not renamed: " + err.Error())
		}
	}()
}

func (w *Window) onExport(id int64) {
	h := w.hist()
	if h == nil || id == 0 {
		return
	}
	dialog.ShowFolderOpen(func(dir fyne.ListableURI, err error) {
		if err != nil || dir == nil {
			return
		}
		w.exportTo(h, id, dir.Path())
	}, w.win)
}

// exportTo writes the conversation as Markdown into dir, with a notice
// saying where.
func (w *Window) exportTo(h History, id int64, dir string) {
	go func() {
		path, err := h.Export(w.ctx, id, dir)
		if err != nil {
			w.notice("The conversation was not exported: " + err.Error())
			return
		}
		w.notice("Exported to " + path)
	}()
}

func (w *Window) onDelete(id int64) {
	h := w.hist()
	if h == nil || id == 0 {
		return
	}
	title := w.titleOf(id)
	if id == w.side.shown {
		w.onNewChat()
	}
	undoFor := w.side.undoFor
	go func() {
		if err := h.Delete(w.ctx, id); err != nil {
			w.notice("The conversation was not deleted: " + err.Error())
			return
		}
		del := &chatDeleted{id: id, title: title, at: time.Now()}
		var prev *chatDeleted
		w.changed(func(s *chatState) { prev, s.side.deleted = s.side.deleted, del })
		if prev != nil { // one Undo at a time: the earlier deletion is final now
			_ = h.Purge(w.ctx, prev.at.Add(time.Millisecond))
		}
		w.reloadSide()
		time.AfterFunc(undoFor, func() { w.expireUndo(h, del) })
	}()
}

// expireUndo makes a deletion final once its undo time is over, then
// takes the Undo away: the banner stays until nothing can bring the
// conversation back. Any goroutine.
func (w *Window) expireUndo(h History, del *chatDeleted) {
	w.mu.Lock()
	still := w.state.side.deleted == del
	w.mu.Unlock()
	if !still || w.ctx.Err() != nil {
		return
	}
	_ = h.Purge(w.ctx, del.at.Add(time.Millisecond))
	w.changed(func(s *chatState) {
		if s.side.deleted == del {
			s.side.deleted = nil
		}
	})
}

func (w *Window) onUndoDelete() {
	h := w.hist()
	var del *chatDeleted
	w.changed(func(s *chatState) { del, s.side.deleted = s.side.deleted, nil })
	if h == nil || del == nil {
		return
	}
	go func() {
		if err := h.Undelete(w.ctx, del.id); err != nil {
			w.notice("The conversation could not be brought back: " + err.Error())
		}
		w.reloadSide()
	}()
}
