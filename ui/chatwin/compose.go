package chatwin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/ui/view"
)

func (w *Window) drawThumbs() {
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

func (w *Window) removeAttachment(i int) {
	if i < len(w.attached) {
		w.attached = append(w.attached[:i], w.attached[i+1:]...)
	}
	w.drawThumbs()
}

// The handlers below run on the UI goroutine.

func (w *Window) onSendOrStop() {
	if w.conv.Busy() {
		w.conv.Stop()
		return
	}
	w.onSend()
}

func (w *Window) onSend() {
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
	tier := "" // without the catalog, no tier it could confirm
	if s.models != nil {
		if m, ok := s.models.Find(model); ok && m.Fast && s.fast {
			tier = provider.ServiceTierPriority
		}
	}
	w.conv.SetServiceTier(tier)
	if err := w.conv.Send(w.ctx, text, w.attached, model, s.effort); err != nil {
		w.notice(err.Error())
		return
	}
	w.entry.SetText("")
	w.attached = nil
	w.drawThumbs()
}

func (w *Window) onAction(a chat.Action) {
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

func (w *Window) onSignIn() {
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

func (w *Window) onNewChat() {
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

func (w *Window) toggleReasoning(v *chatMsgView) {
	v.reasoningOpen, v.reasoningSet = !v.reasoningOpen, true
	v.width = 0
	w.pacer.Poke()
}

func (w *Window) copyText(s string) { w.app.Clipboard().SetContent(s) }

func (w *Window) onModelChosen(name string) {
	for i, n := range w.modelSel.Options {
		if n == name && i < len(w.slugs) {
			slug := w.slugs[i]
			w.changed(func(s *chatState) {
				s.model = slug
				if s.models != nil {
					m, _ := s.models.Find(slug)
					s.effort = effortNoted(s, m, s.effort)
				}
			})
			return
		}
	}
}

func (w *Window) onEffortChosen(e string) {
	w.changed(func(s *chatState) { s.effort = e })
}

func (w *Window) onFastChosen(on bool) {
	w.changed(func(s *chatState) { s.fast = on })
	w.app.Preferences().SetBool(appdata.PrefFast, on)
}

// effortNoted is view.EffortFor, and says so in a notice when a chosen (or
// saved) effort the model lacks falls back to the model's default.
func effortNoted(s *chatState, m view.Model, want string) string {
	got := view.EffortFor(m, want)
	if want != "" && got != want && len(m.Efforts) > 0 {
		s.notices = append(s.notices, fmt.Sprintf("%s does not offer the %s effort; using its default, %s.", view.ModelName(m), want, got))
	}
	return got
}

// clipboardWithin bounds reading an image from the system's clipboard
// tools.
const clipboardWithin = 10 * time.Second

// onShortcut handles the window's shortcuts while the composer has focus.
func (w *Window) onShortcut(s fyne.Shortcut) bool {
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
				// The window owns the read: it ends when the window closes,
				// and within clipboardWithin.
				ctx, cancel := context.WithTimeout(w.ctx, clipboardWithin)
				defer cancel()
				a, err := w.deps.ClipboardImage(ctx)
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

func (w *Window) onDropped(_ fyne.Position, uris []fyne.URI) {
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

func (w *Window) onAttach() {
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
func (w *Window) load(paths []string) {
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
