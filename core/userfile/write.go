package userfile

import (
	"os"
	"path/filepath"
)

// Atomic says how WriteAtomic writes.
type Atomic struct {
	// Temp is the temp file's name prefix, beside the file ("." + the
	// file's name + ".tmp-" when empty); a writer that finds stale temp
	// files of a killed run looks for it.
	Temp string
	// Durable syncs the file before the rename and the folder after it, so
	// that the new content survives a power cut, not only a crash.
	Durable bool
	// Perm is the file's permission; 0600 when zero.
	Perm os.FileMode
	// FollowLink replaces the file a symlink at path points to, keeping
	// the link (as Codex writes auth.json); otherwise a link is replaced.
	FollowLink bool
	// BeforeRename runs once the temp file is complete, just before it
	// replaces the file: the worst moment for a crash (tests).
	BeforeRename func()
}

// WriteAtomic replaces the file at path with data so that a crash leaves
// either the whole old file or the whole new one, never a mix: a temp file
// in the same folder, written (and synced), renamed over path. A failure
// removes the temp file and leaves path as it was.
func WriteAtomic(path string, data []byte, o Atomic) error {
	if o.FollowLink {
		if real, err := filepath.EvalSymlinks(path); err == nil {
			path = real
		}
	}
	dir := filepath.Dir(path)
	prefix := o.Temp
	if prefix == "" {
		prefix = "." + filepath.Base(path) + ".tmp-"
	}
	perm := o.Perm
	if perm == 0 {
		perm = 0o600
	}
	f, err := os.CreateTemp(dir, prefix)
	if err != nil {
		return err
	}
	tmp := f.Name()
	steps := []func() error{
		func() error { return f.Chmod(perm) },
		func() error { _, err := f.Write(data); return err },
	}
	if o.Durable {
		steps = append(steps, f.Sync)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			f.Close()
			os.Remove(tmp)
			return err
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if o.BeforeRename != nil {
		o.BeforeRename()
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	if o.Durable {
		SyncDir(dir)
	}
	return nil
}

// SyncDir makes a rename or removal in dir durable; where a folder cannot be synced
// (Windows), the rename is as durable as the OS makes it.
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
