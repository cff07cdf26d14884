package history

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Export writes conversation id as Markdown into dir: <title>.md, with its
// images in <title>-images/ beside it. It returns the .md file's path.
func (s *Store) Export(ctx context.Context, id int64, dir string) (string, error) {
	c, msgs, err := s.Conversation(ctx, id)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	base := slug(c.Title)
	if base == "" {
		base = fmt.Sprintf("conversation-%d", id)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", c.Title)
	fmt.Fprintf(&b, "_Exported from Codex Tray. Started %s._\n", c.CreatedAt.Local().Format("2006-01-02 15:04"))
	for _, m := range Visible(msgs) {
		who := m.Speaker()
		fmt.Fprintf(&b, "\n## %s\n\n", who)
		if m.Reasoning != "" {
			fmt.Fprintf(&b, "<details><summary>Reasoning</summary>\n\n%s\n\n</details>\n\n", m.Reasoning)
		}
		for _, a := range m.Attachments {
			name := a.Hash[:12] + extFor(a.MIME)
			imgDir := filepath.Join(dir, base+"-images")
			if err := os.MkdirAll(imgDir, 0o755); err != nil {
				return "", err
			}
			if err := os.WriteFile(filepath.Join(imgDir, name), a.Data, 0o644); err != nil {
				return "", err
			}
			alt := a.Name
			if alt == "" {
				alt = "image"
			}
			fmt.Fprintf(&b, "![%s](%s-images/%s)\n\n", alt, base, name)
		}
		b.WriteString(m.Text)
		b.WriteString("\n")
		switch m.State {
		case StateInterrupted:
			b.WriteString("\n_(interrupted)_\n")
		case StateFailed:
			fmt.Fprintf(&b, "\n_(failed: %s)_\n", m.Error)
		}
	}
	path := filepath.Join(dir, base+".md")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

var nonSlug = regexp.MustCompile(`[^\p{L}\p{N}]+`)

func slug(title string) string {
	s := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if r := []rune(s); len(r) > 50 {
		s = strings.Trim(string(r[:50]), "-")
	}
	return s
}

func extFor(mime string) string {
	switch mime {
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	}
	return ".bin"
}

// Speaker names who wrote m, as a heading: "You", or "Assistant (model)".
func (m Message) Speaker() string {
	if m.Role != "assistant" {
		return "You"
	}
	if m.Model != "" {
		return "Assistant (" + m.Model + ")"
	}
	return "Assistant"
}
