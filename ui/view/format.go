package view

import (
	"strings"
)

// FirstLine keeps a text's first line, at most n runes, for a menu.
func FirstLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// CurlyQuotes turns core's `code` quotes into “code” for display.
func CurlyQuotes(s string) string {
	var b strings.Builder
	open := true
	for _, r := range s {
		if r == '`' {
			if open {
				b.WriteString("“")
			} else {
				b.WriteString("”")
			}
			open = !open
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
