package chatwin

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Fyne's Markdown has no tables: a GFM table would show as lines of pipes.
// chatTables turns each one into a code block with its columns lined up, so
// it reads as a table in the monospace font (and copies as text).

var (
	chatTableDelim = regexp.MustCompile(`^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$`)
	chatFence      = regexp.MustCompile("^\\s{0,3}(```|~~~)")
)

// chatTables returns md with its tables as aligned code blocks; md itself
// when it has none.
func chatTables(md string) string {
	if !strings.Contains(md, "|") || !strings.Contains(md, "-") {
		return md
	}
	lines := strings.Split(md, "\n")
	var out []string
	changed, fenced := false, false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if chatFence.MatchString(l) {
			fenced = !fenced
		}
		// A header row, then the delimiter row with as many columns.
		if fenced || i+1 >= len(lines) || !strings.Contains(l, "|") || !chatTableDelim.MatchString(lines[i+1]) ||
			!strings.Contains(lines[i+1], "-") {
			out = append(out, l)
			continue
		}
		head := chatTableCells(l)
		if len(head) != len(chatTableCells(lines[i+1])) {
			out = append(out, l)
			continue
		}
		rows := [][]string{head}
		j := i + 2
		for ; j < len(lines) && strings.Contains(lines[j], "|") && strings.TrimSpace(lines[j]) != ""; j++ {
			rows = append(rows, chatTableCells(lines[j]))
		}
		out = append(out, "```")
		out = append(out, chatTableLines(rows)...)
		out = append(out, "```")
		changed = true
		i = j - 1
	}
	if !changed {
		return md
	}
	return strings.Join(out, "\n")
}

// chatTableCells splits a table row at its pipes (not at escaped ones).
func chatTableCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	if strings.HasSuffix(row, "|") && !strings.HasSuffix(row, `\|`) {
		row = row[:len(row)-1]
	}
	var cells []string
	var b strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row) && row[i+1] == '|':
			b.WriteByte('|')
			i++
		case row[i] == '|':
			cells = append(cells, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(row[i])
		}
	}
	return append(cells, strings.TrimSpace(b.String()))
}

// chatTableLines lays rows out in columns as wide as their widest cell,
// with a rule under the header.
func chatTableLines(rows [][]string) []string {
	var widths []int
	for _, r := range rows {
		for c, cell := range r {
			if c >= len(widths) {
				widths = append(widths, 0)
			}
			widths[c] = max(widths[c], utf8.RuneCountInString(cell))
		}
	}
	line := func(cells []string) string {
		var b strings.Builder
		for c, w := range widths {
			cell := ""
			if c < len(cells) {
				cell = cells[c]
			}
			if c > 0 {
				b.WriteString("  ")
			}
			b.WriteString(cell)
			if c < len(widths)-1 {
				b.WriteString(strings.Repeat(" ", w-utf8.RuneCountInString(cell)))
			}
		}
		return strings.TrimRight(b.String(), " ")
	}
	out := []string{line(rows[0])}
	var rule []string
	for _, w := range widths {
		rule = append(rule, strings.Repeat("─", max(w, 1)))
	}
	out = append(out, strings.Join(rule, "  "))
	for _, r := range rows[1:] {
		out = append(out, line(r))
	}
	return out
}
