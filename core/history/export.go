package history

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/codextray/codextray/core/userfile"
)

// Export writes conversation id as Markdown into dir: <title>.md, with its
// images in <title>-images/ beside it. It returns the .md file's path.
// Each file is written whole under a temporary name and then renamed into
// place, so a failed export leaves any earlier one intact; a symbolic link
// or other non-regular file where a file goes is refused, never followed,
// so that a link planted in a shared folder cannot redirect the write.
func (s *Store) Export(ctx context.Context, id int64, dir string) (string, error) {
	c, msgs, err := s.Conversation(ctx, id)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("cannot create the export folder: %w", err)
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
			if err := ownDir(imgDir); err != nil {
				return "", err
			}
			if err := writeNew(filepath.Join(imgDir, name), a.Data); err != nil {
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
	if err := writeNew(path, []byte(b.String())); err != nil {
		return "", err
	}
	return path, nil
}

// ownDir creates dir (0700), or accepts it if it is a real directory: a
// symbolic link there is refused.
func ownDir(dir string) error {
	err := os.Mkdir(dir, 0o700)
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrExist):
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("cannot export into %s: it is not a folder (a link or a file is in the way); remove it or export elsewhere", dir)
	}
	return nil
}

// writeNew writes data to path (0600) through a new temporary file in the
// same folder, renamed into place. What is at path already must be a
// regular file (an earlier export); anything else is refused.
func writeNew(path string, data []byte) error {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("cannot export to %s: something other than a file is there (%s); remove it or export elsewhere", path, fileKind(fi.Mode()))
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// A failure removes only the temporary file, never an earlier export.
	if err := userfile.WriteAtomic(path, data, userfile.Atomic{Durable: true}); err != nil {
		return fmt.Errorf("cannot export to %s: %w", path, err)
	}
	return nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a folder"
	}
	return "a special file"
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
