package chatwin

import (
	"strings"
	"testing"
)

func TestChatTablesLineUpInACodeBlock(t *testing.T) {
	md := "Plans compared:\n\n| Plan | 5 h window | Weekly |\n|:-----|-----------:|--------|\n| Plus | 42 % | 12 % |\n| Pro \\| Team | 3 % | 1 % |\n\nThat is all."
	got := chatTables(md)
	want := "Plans compared:\n\n```\n" +
		"Plan        5 h window  Weekly\n" +
		"──────────  ──────────  ──────\n" +
		"Plus        42 %        12 %\n" +
		"Pro | Team  3 %         1 %\n" +
		"```\n\nThat is all."
	if got != want {
		t.Errorf("chatTables:\n%s\nwant:\n%s", got, want)
	}
	blocks := chatParseMarkdown(md)
	code := 0
	for _, b := range blocks {
		if b.code {
			code++
			if !strings.Contains(b.text, "Pro | Team") {
				t.Errorf("the table's code block: %q", b.text)
			}
		}
	}
	if code != 1 {
		t.Errorf("%d code blocks for one table", code)
	}
}

func TestChatTablesLeaveTheRestAlone(t *testing.T) {
	for _, md := range []string{
		"No table | here, just a pipe.\n- and a list",
		"```\n| a | b |\n|---|---|\n| 1 | 2 |\n```", // already code
		"| a | b |\n|---|",                          // the delimiter does not match the header
		"| a | b |",                                 // still streaming: no delimiter yet
	} {
		if got := chatTables(md); got != md {
			t.Errorf("chatTables(%q) = %q, want it unchanged", md, got)
		}
	}
}
