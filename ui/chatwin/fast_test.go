package chatwin

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/appdata"
)

// The Fast toggle is offered where the catalog lists the priority tier and
// sends it as Codex does; a saved effort the model lacks falls back to the
// model's default with a notice.
func TestChatFastToggleAndEffortFallback(t *testing.T) {
	a := test.NewTempApp(t)
	a.Preferences().SetString(appdata.PrefDefaultModel, "gpt-5.5")
	a.Preferences().SetString(appdata.PrefDefaultEffort, "ultra") // gpt-5.5 stops at xhigh
	a.Preferences().SetBool(appdata.PrefFast, true)
	h := newChatHarnessIn(t, a)
	h.pump("the effort fallback", func() bool { return h.w.effortSel.Selected == "medium" })
	h.pump("the notice", func() bool { return len(h.w.notices.Objects) > 0 })
	if !strings.Contains(noticeTexts(h), "does not offer the ultra effort; using its default, medium") {
		t.Errorf("notices %q", noticeTexts(h))
	}
	if h.w.fastChk.Hidden || !h.w.fastChk.Checked {
		t.Fatalf("Fast for gpt-5.5 (priority tier listed): hidden %v checked %v", h.w.fastChk.Hidden, h.w.fastChk.Checked)
	}
	h.srv.Enqueue(chatAnswer("Quick."), chatAnswer("Standard."))
	test.Type(h.w.entry, "Hi")
	h.w.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.idle()
	r := h.srv.RequestsTo("/codex/responses")[0]
	if r.JSON["service_tier"] != "priority" || r.Header.Get("x-codex-routing-hint") != "model=gpt-5.5;tier=priority" {
		t.Errorf("Fast on: service_tier %v, routing hint %q", r.JSON["service_tier"], r.Header.Get("x-codex-routing-hint"))
	}

	// gpt-5.2 lists no service tier: no toggle, no tier sent.
	for _, n := range h.w.modelSel.Options {
		if strings.Contains(n, "5.2") {
			h.w.modelSel.SetSelected(n)
		}
	}
	h.pump("the toggle to hide", func() bool { return h.w.fastChk.Hidden })
	test.Type(h.w.entry, "Again")
	h.w.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.idle()
	r = h.srv.RequestsTo("/codex/responses")[1]
	if _, ok := r.JSON["service_tier"]; ok || r.JSON["model"] != "gpt-5.2" {
		t.Errorf("gpt-5.2: model %v, service_tier %v", r.JSON["model"], r.JSON["service_tier"])
	}
}

func noticeTexts(h *chatHarness) string {
	var s []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			s = append(s, v.Text)
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		}
	}
	for _, o := range h.w.notices.Objects {
		walk(o)
	}
	return strings.Join(s, " | ")
}
