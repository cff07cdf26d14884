package view

import (
	"testing"
)

func TestFirstLine(t *testing.T) {
	if got := FirstLine("one\ntwo", 10); got != "one" {
		t.Errorf("FirstLine = %q", got)
	}
	if got := FirstLine("abcdefghijkl", 5); got != "abcd…" {
		t.Errorf("FirstLine = %q", got)
	}
}

func TestWindowNames(t *testing.T) {
	for _, w := range []Window{Chat, Status, Settings, SignIn} {
		got, ok := ParseWindow(w.String())
		if !ok || got != w {
			t.Errorf("ParseWindow(%q) = %v, %v", w.String(), got, ok)
		}
	}
	if w, ok := ParseWindow(""); !ok || w != Chat {
		t.Error(`"" does not open the chat`)
	}
	if _, ok := ParseWindow("nope"); ok {
		t.Error(`"nope" is a window`)
	}
}
