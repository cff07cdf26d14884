package auth

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watcher reports every change of the Codex login. It watches directories,
// not the file, because Codex replaces auth.json by rename: CODEX_HOME, the
// directory of auth.json's target when it is a symlink, and the nearest
// existing parent while CODEX_HOME does not exist yet. In keyring mode it
// also re-reads the keyring on a timer and on Poke.
type Watcher struct {
	Loader *Loader
	// Debounce is how long a burst of events must be quiet before a re-read.
	Debounce time.Duration
	// Retries and RetryDelay: a failed parse is read again this many times
	// before it is reported, so a half-written file never shows as an error
	// or a logout.
	Retries    int
	RetryDelay time.Duration
	// KeyringPoll is how often the keyring is re-read in keyring or auto mode.
	KeyringPoll time.Duration

	poke chan struct{}
	// readHook, for tests, sees every read, including retried ones.
	readHook func(Snapshot)
}

// NewWatcher returns a watcher with the default timings.
func NewWatcher(l *Loader) *Watcher {
	return &Watcher{
		Loader:      l,
		Debounce:    100 * time.Millisecond,
		Retries:     3,
		RetryDelay:  100 * time.Millisecond,
		KeyringPoll: 30 * time.Second,
		poke:        make(chan struct{}, 1),
	}
}

// Poke asks for a re-read now (for example after the keyring changed).
func (w *Watcher) Poke() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// Run sends the current snapshot at once, then one for every change, until
// ctx ends. It closes out when it returns.
func (w *Watcher) Run(ctx context.Context, out chan<- Snapshot) error {
	defer close(out)
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer fw.Close()
	if w.poke == nil {
		w.poke = make(chan struct{}, 1)
	}

	watched := map[string]bool{}
	// sync makes the set of watched directories match what the files on
	// disk need now; it returns the names that matter in each directory.
	var names map[string]string // dir -> base name to react to ("" = any)
	sync := func() {
		want := w.watchSet()
		for dir := range watched {
			if _, ok := want[dir]; !ok {
				_ = fw.Remove(dir)
				delete(watched, dir)
			}
		}
		for dir := range want {
			if !watched[dir] {
				if err := fw.Add(dir); err == nil {
					watched[dir] = true
				}
			}
		}
		names = want
	}
	sync()

	var last Snapshot
	var lastKey []byte
	emit := func(s Snapshot) bool {
		key := snapshotKey(s)
		if lastKey != nil && bytes.Equal(key, lastKey) {
			return true
		}
		last, lastKey = s, key
		select {
		case out <- s:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if !emit(w.read(ctx)) {
		return nil
	}

	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	var poll <-chan time.Time
	var ticker *time.Ticker
	setPoll := func() {
		keyringMode := last.Config.Store == StoreKeyring || last.Config.Store == StoreAuto
		switch {
		case keyringMode && ticker == nil && w.KeyringPoll > 0:
			ticker = time.NewTicker(w.KeyringPoll)
			poll = ticker.C
		case !keyringMode && ticker != nil:
			ticker.Stop()
			ticker, poll = nil, nil
		}
	}
	setPoll()
	defer func() {
		if ticker != nil {
			ticker.Stop()
		}
	}()

	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fw.Events:
			if !ok {
				return errors.New("file watcher closed")
			}
			if w.relevant(ev, names) {
				debounce.Reset(w.Debounce)
			}
		case err, ok := <-fw.Errors:
			if !ok {
				return errors.New("file watcher closed")
			}
			_ = err // an overflow or similar: re-read to be sure
			debounce.Reset(w.Debounce)
		case <-debounce.C:
			sync()
			if !emit(w.read(ctx)) {
				return nil
			}
			setPoll()
		case <-poll:
			if !emit(w.read(ctx)) {
				return nil
			}
		case <-w.poke:
			sync()
			if !emit(w.read(ctx)) {
				return nil
			}
			setPoll()
		}
	}
}

// read loads the login, re-reading a few times if it fails to parse, since
// an editor may be half-way through writing it.
func (w *Watcher) read(ctx context.Context) Snapshot {
	load := func() Snapshot {
		s := w.Loader.Load(ctx)
		if w.readHook != nil {
			w.readHook(s)
		}
		return s
	}
	s := load()
	for i := 0; i < w.Retries && s.Err != nil; i++ {
		t := time.NewTimer(w.RetryDelay)
		select {
		case <-ctx.Done():
			t.Stop()
			return s
		case <-t.C:
		}
		s = load()
	}
	return s
}

// watchSet lists the directories to watch and, for each, the file name whose
// events matter ("" for any entry, used on the parents of a missing home).
func (w *Watcher) watchSet() map[string]string {
	home := filepath.Clean(w.Loader.Home)
	set := map[string]string{}
	if fi, err := os.Stat(home); err == nil && fi.IsDir() {
		set[home] = AuthFileName
		authPath := filepath.Join(home, AuthFileName)
		if li, err := os.Lstat(authPath); err == nil && li.Mode()&os.ModeSymlink != 0 {
			if target, err := filepath.EvalSymlinks(authPath); err == nil {
				set[filepath.Dir(target)] = filepath.Base(target)
			} else if raw, err := os.Readlink(authPath); err == nil {
				if !filepath.IsAbs(raw) {
					raw = filepath.Join(home, raw)
				}
				if dir := nearestExisting(filepath.Dir(raw)); dir != "" {
					set[dir] = ""
				}
			}
		}
		// The watch on home must also see the home itself go away.
		if parent := filepath.Dir(home); parent != home {
			if _, ok := set[parent]; !ok {
				set[parent] = "\x00" + filepath.Base(home)
			}
		}
		return set
	}
	if dir := nearestExisting(filepath.Dir(home)); dir != "" {
		set[dir] = ""
	}
	return set
}

func nearestExisting(dir string) string {
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// relevant filters fsnotify events down to those that can change the login.
func (w *Watcher) relevant(ev fsnotify.Event, names map[string]string) bool {
	dir, base := filepath.Dir(ev.Name), filepath.Base(ev.Name)
	want, ok := names[dir]
	if !ok {
		return false
	}
	switch {
	case want == "":
		return true // a parent of a missing home, or of a dangling symlink target
	case want[0] == 0:
		return base == want[1:] // the home directory itself, seen from its parent
	case base == "config.toml" && dir == filepath.Clean(w.Loader.Home):
		return true // the store or base URLs may have changed
	}
	return base == want && ev.Op&(fsnotify.Create|fsnotify.Write|fsnotify.Rename|fsnotify.Remove|fsnotify.Chmod) != 0
}

// snapshotKey identifies a snapshot's content, so unchanged re-reads are not
// reported. It is a hash-free byte string kept only in memory.
func snapshotKey(s Snapshot) []byte {
	var b bytes.Buffer
	b.WriteString(string(s.Source))
	b.WriteByte(0)
	b.WriteString(string(s.Config.Store) + "\x00" + s.Config.ChatGPTBaseURL + "\x00" + s.Config.OpenAIBaseURL)
	b.WriteByte(0)
	if s.HomeMissing {
		b.WriteString("missing")
	}
	b.WriteByte(0)
	if s.Err != nil {
		b.WriteString(s.Err.Error())
	}
	b.WriteByte(0)
	if s.Doc != nil {
		if raw, err := s.Doc.Marshal(); err == nil {
			b.Write(raw)
		}
	}
	return b.Bytes()
}
