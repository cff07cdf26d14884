package appdata

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/codextray/codextray/core/userfile"
)

// FilePrefs reads and writes the preferences.json Fyne keeps for the app
// (PreferencesPath) without Fyne, so the tray process and the Fyne windows
// of the window host share settings. Fyne reloads the file when it changes
// on disk; the owner of a FilePrefs calls Reload when it does.
type FilePrefs struct {
	path string

	mu     sync.Mutex
	values map[string]any
}

// OpenPrefs reads the preferences at path.
func OpenPrefs(path string) *FilePrefs {
	p := &FilePrefs{path: path}
	p.Reload()
	return p
}

// Reload reads the file again; a missing or half-written file keeps the
// values read before (Fyne rewrites the file in place, so a read can catch
// it half done: the next change event reads it whole).
func (p *FilePrefs) Reload() bool {
	m, ok := p.read()
	if !ok {
		return false
	}
	p.mu.Lock()
	p.values = m
	p.mu.Unlock()
	return true
}

func (p *FilePrefs) read() (map[string]any, bool) {
	raw, err := userfile.Read(p.path, 1<<20)
	if os.IsNotExist(err) {
		return map[string]any{}, true
	}
	m := map[string]any{}
	if err != nil || json.Unmarshal(raw, &m) != nil {
		return nil, false
	}
	return m, true
}

func (p *FilePrefs) get(key string) (any, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.values[key]
	return v, ok
}

// set changes one key on top of what is on disk now (the window host may
// have written other keys since the last reload) and writes the file
// atomically, as Fyne reads it: one JSON object.
func (p *FilePrefs) set(key string, v any, remove bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m, ok := p.read(); ok {
		p.values = m
	}
	if p.values == nil {
		p.values = map[string]any{}
	}
	if remove {
		delete(p.values, key)
	} else {
		p.values[key] = v
	}
	raw, err := json.Marshal(p.values)
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(p.path), 0o700) == nil {
		_ = userfile.WriteAtomic(p.path, append(raw, '\n'), userfile.Atomic{Durable: true})
	}
}

func (p *FilePrefs) String(key string) string {
	v, _ := p.get(key)
	s, _ := v.(string)
	return s
}

func (p *FilePrefs) SetString(key, value string) { p.set(key, value, false) }

func (p *FilePrefs) BoolWithFallback(key string, fallback bool) bool {
	if v, ok := p.get(key); ok {
		if b, ok := v.(bool); ok {
			return b
		}
	}
	return fallback
}

func (p *FilePrefs) SetBool(key string, value bool) { p.set(key, value, false) }

func (p *FilePrefs) FloatWithFallback(key string, fallback float64) float64 {
	if v, ok := p.get(key); ok {
		if f, ok := v.(float64); ok {
			return f
		}
	}
	return fallback
}

func (p *FilePrefs) SetFloat(key string, value float64) { p.set(key, value, false) }

func (p *FilePrefs) RemoveValue(key string) { p.set(key, nil, true) }

// Follow reloads the preferences whenever their file changes on disk (the
// Fyne side writes it) and calls changed after each reload that read it
// whole, until ctx ends. Events are debounced by 100 ms.
func (p *FilePrefs) Follow(ctx context.Context, changed func()) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return
	}
	defer w.Close()
	if err := w.Add(filepath.Dir(p.path)); err != nil {
		return
	}
	var debounce <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if filepath.Base(ev.Name) == filepath.Base(p.path) {
				debounce = time.After(100 * time.Millisecond)
			}
		case <-w.Errors:
		case <-debounce:
			if p.Reload() { // half written: the write's next event reads it whole
				changed()
			}
		}
	}
}
