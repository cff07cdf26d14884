package chatwin

import (
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/textfmt"
)

// chatMsgView is what the window keeps of one message between draws: the
// message, its Markdown parsed once per change, and its measured height.
type chatMsgView struct {
	msg       chat.Message
	rev       uint64
	blocks    []chatMdBlock
	reasoning []widget.RichTextSegment
	// reasoningOpen is whether the summary is shown; the user's choice
	// (reasoningSet) wins over the default (open until the answer starts).
	reasoningOpen bool
	reasoningSet  bool
	height        float32
	width         float32 // the width height was measured at
}

// chatMdBlock is a run of Markdown segments, or one code block (with a Copy
// button).
type chatMdBlock struct {
	code bool
	text string // the code, for Copy
	segs []widget.RichTextSegment
}

// chatParseMarkdown parses a whole message (never piecewise), tables made
// code blocks (chatTables), and splits the segments into prose runs and
// code blocks.
func chatParseMarkdown(md string) []chatMdBlock {
	segs := widget.NewRichTextFromMarkdown(chatTables(md)).Segments
	var out []chatMdBlock
	for _, s := range segs {
		if t, ok := s.(*widget.TextSegment); ok && t.Style == widget.RichTextStyleCodeBlock {
			out = append(out, chatMdBlock{code: true, text: strings.TrimRight(t.Text, "\n"), segs: []widget.RichTextSegment{s}})
			continue
		}
		if len(out) == 0 || out[len(out)-1].code {
			out = append(out, chatMdBlock{})
		}
		out[len(out)-1].segs = append(out[len(out)-1].segs, s)
	}
	return out
}

// update takes a new revision of the message; it parses only what changed.
func (v *chatMsgView) update(m chat.Message) {
	textChanged := m.Text != v.msg.Text || v.rev == 0
	reasoningChanged := m.Reasoning != v.msg.Reasoning || v.rev == 0
	v.msg, v.rev = m, m.Rev
	if textChanged {
		if m.Role == chat.RoleUser {
			v.blocks = []chatMdBlock{{segs: []widget.RichTextSegment{&widget.TextSegment{Style: widget.RichTextStyleParagraph, Text: m.Text}}}}
		} else {
			v.blocks = chatParseMarkdown(m.Text)
		}
	}
	if reasoningChanged && m.Reasoning != "" {
		v.reasoning = widget.NewRichTextFromMarkdown(m.Reasoning).Segments
	}
	if !v.reasoningSet {
		v.reasoningOpen = m.State == chat.StateStreaming && m.Text == ""
	}
	v.width = 0 // measure again
}

// chatMsgRow shows one message; list rows are recycled between messages.
type chatMsgRow struct {
	top        *fyne.Container
	bg         *canvas.Rectangle
	header     *widget.Label
	images     *fyne.Container
	reasonBtn  *widget.Button
	reasonText *chatText
	body       *fyne.Container
	blocks     []*chatBlockRow
	footer     *widget.Label
	problem    *widget.Label
	action     *widget.Button
	problemBox *fyne.Container
	streaming  *widget.ProgressBarInfinite

	// set by bind: what the buttons act on
	view     *chatMsgView
	onAction func(chat.Action)
	onToggle func()
	copyText func(string)
}

func newChatMsgRow(copyText func(string)) *chatMsgRow {
	r := &chatMsgRow{copyText: copyText}
	r.bg = canvas.NewRectangle(color.Transparent)
	r.bg.CornerRadius = 8
	r.header = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.images = container.NewHBox()
	r.reasonBtn = &widget.Button{Importance: widget.LowImportance, Alignment: widget.ButtonAlignLeading,
		OnTapped: func() {
			if r.onToggle != nil {
				r.onToggle()
			}
		}}
	r.reasonText = newChatText()
	r.body = container.NewVBox()
	r.footer = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	r.footer.SizeName = theme.SizeNameCaptionText
	r.problem = widget.NewLabel("")
	r.problem.Wrapping = fyne.TextWrapWord
	r.problem.Importance = widget.DangerImportance
	r.action = &widget.Button{Importance: widget.HighImportance, OnTapped: func() {
		if r.onAction != nil && r.view != nil && r.view.msg.Problem != nil {
			r.onAction(r.view.msg.Problem.Action)
		}
	}}
	r.problemBox = container.NewBorder(nil, nil, nil, container.NewCenter(r.action), r.problem)
	r.streaming = widget.NewProgressBarInfinite()
	r.streaming.Stop()
	box := container.NewVBox(r.header, r.images, r.reasonBtn, r.reasonText, r.body, r.streaming, r.footer, r.problemBox)
	r.top = container.NewStack(r.bg, container.NewPadded(box))
	return r
}

// bind shows v in the row.
func (r *chatMsgRow) bind(v *chatMsgView) {
	r.view = v
	m := v.msg
	if m.Role == chat.RoleUser {
		r.header.SetText("You")
		r.bg.FillColor = theme.Color(theme.ColorNameInputBackground)
	} else {
		r.header.SetText(chatAnswerHeader(m))
		r.bg.FillColor = color.Transparent
	}
	r.bg.Refresh()

	r.images.Objects = r.images.Objects[:0]
	for _, a := range m.Images {
		img := canvas.NewImageFromImage(a.Thumb)
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSize(72, 72))
		r.images.Objects = append(r.images.Objects, img)
	}
	r.images.Hidden = len(m.Images) == 0
	r.images.Refresh()

	hasReasoning := m.Reasoning != ""
	r.reasonBtn.Hidden = !hasReasoning
	if v.reasoningOpen {
		r.reasonBtn.SetText("Reasoning summary")
		r.reasonBtn.SetIcon(theme.MenuDropDownIcon())
	} else {
		r.reasonBtn.SetText("Reasoning summary")
		r.reasonBtn.SetIcon(theme.MenuExpandIcon())
	}
	r.reasonText.Hidden = !hasReasoning || !v.reasoningOpen
	if !r.reasonText.Hidden {
		r.reasonText.set(v.reasoning)
	}

	for len(r.blocks) < len(v.blocks) {
		r.blocks = append(r.blocks, newChatBlockRow(r.copyText))
	}
	r.body.Objects = r.body.Objects[:0]
	for i, b := range v.blocks {
		r.blocks[i].bind(b)
		r.body.Objects = append(r.body.Objects, r.blocks[i].obj)
	}
	r.body.Hidden = len(v.blocks) == 0
	r.body.Refresh()

	if m.State == chat.StateStreaming {
		r.streaming.Show()
		r.streaming.Start()
	} else {
		r.streaming.Stop()
		r.streaming.Hide()
	}

	r.footer.SetText(chatTokenLine(m))
	r.footer.Hidden = r.footer.Text == ""

	r.problemBox.Hidden = m.Problem == nil && m.State != chat.StateStopped
	switch {
	case m.Problem != nil:
		r.problem.SetText(m.Problem.Message)
		r.problem.Importance = widget.DangerImportance
		r.action.SetText(chatActionLabel(m.Problem.Action))
		r.action.Hidden = m.Problem.Action == chat.ActionNone
	case m.State == chat.StateStopped:
		r.problem.SetText("Stopped.")
		r.problem.Importance = widget.MediumImportance
		r.action.SetText(chatActionLabel(chat.ActionRetry))
		r.action.Hidden = false
	}
	r.problem.Refresh()
	r.action.Refresh()
	r.top.Refresh()
}

// height lays the row out at width and returns the height it needs.
func (r *chatMsgRow) height(width float32) float32 {
	h := r.top.MinSize().Height
	for range 3 { // wrapped text grows when it learns its width
		r.top.Resize(fyne.NewSize(width, h))
		nh := r.top.MinSize().Height
		if nh == h {
			break
		}
		h = nh
	}
	return h
}

func chatAnswerHeader(m chat.Message) string {
	h := "Assistant"
	if m.Model != "" {
		h += " · " + m.Model
	}
	if m.Effort != "" {
		h += " · " + m.Effort
	}
	return h
}

// chatTokenLine is the per-message token count.
func chatTokenLine(m chat.Message) string {
	if !m.HasUsage {
		return ""
	}
	u := m.Usage
	return fmt.Sprintf("Tokens: %s in (%s cached) · %s out (%s reasoning)",
		textfmt.Count(u.InputTokens), textfmt.Count(u.CachedInputTokens), textfmt.Count(u.OutputTokens), textfmt.Count(u.ReasoningTokens))
}

func chatActionLabel(a chat.Action) string {
	switch a {
	case chat.ActionRetry:
		return "Retry"
	case chat.ActionSignIn:
		return "Sign in again"
	case chat.ActionNewChat:
		return "New chat"
	}
	return ""
}

// chatBlockRow is a prose run or a code block with its Copy button.
type chatBlockRow struct {
	rt       *chatText
	bar      *fyne.Container
	bg       *canvas.Rectangle
	obj      *fyne.Container
	code     string
	copyText func(string)
}

func newChatBlockRow(copyText func(string)) *chatBlockRow {
	b := &chatBlockRow{copyText: copyText}
	b.rt = newChatText()
	copyBtn := &widget.Button{Text: "Copy", Icon: theme.ContentCopyIcon(), Importance: widget.LowImportance,
		OnTapped: func() { b.copyText(b.code) }}
	b.bar = container.NewVBox(copyBtn) // top right, beside the code
	b.bg = canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	b.bg.CornerRadius = 6
	b.obj = container.NewStack(b.bg, container.NewBorder(nil, nil, nil, b.bar, b.rt))
	return b
}

func (b *chatBlockRow) bind(m chatMdBlock) {
	b.code = m.text
	b.bar.Hidden, b.bg.Hidden = !m.code, !m.code
	if m.code {
		b.rt.Wrapping = fyne.TextWrapBreak
	} else {
		b.rt.Wrapping = fyne.TextWrapWord
	}
	b.rt.set(m.segs)
}

// chatComposerEntry is the message entry: Enter sends, Shift+Enter adds a line,
// Escape hides the window, and the window's shortcuts work while typing.
type chatComposerEntry struct {
	widget.Entry
	shift      bool
	onSend     func()
	onEscape   func()
	onShortcut func(fyne.Shortcut) bool // true when handled
}

func newChatComposerEntry() *chatComposerEntry {
	e := &chatComposerEntry{}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetMinRowsVisible(3)
	e.PlaceHolder = "Message Codex — Enter sends, Shift+Enter adds a line. Drop or paste images."
	e.ExtendBaseWidget(e)
	return e
}

func (e *chatComposerEntry) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = true
	}
	e.Entry.KeyDown(k)
}

func (e *chatComposerEntry) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(k)
}

func (e *chatComposerEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if !e.shift && e.onSend != nil {
			e.onSend()
			return
		}
	case fyne.KeyEscape:
		if e.onEscape != nil {
			e.onEscape()
			return
		}
	}
	e.Entry.TypedKey(k)
}

func (e *chatComposerEntry) TypedShortcut(s fyne.Shortcut) {
	if e.onShortcut != nil && e.onShortcut(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

// newChatThumb shows an attachment's thumbnail.
func newChatThumb(a chat.Attachment) *canvas.Image {
	img := canvas.NewImageFromImage(a.Thumb)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(72, 72))
	return img
}
