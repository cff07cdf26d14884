package auth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// StartReadWatch watches the openings of home's auth.json (and of its
// target, when it is a symlink) and of the read markers in the app's data
// directory dir (ReadMarkerPath), with inotify: one queue, so the events of
// both directories keep the order in which they happened.
func StartReadWatch(home, dir string) (*ReadWatch, error) {
	marker := ReadMarkerPath(dir, home)
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "inotify") // non-blocking: Close ends a pending Read
	names := map[int32]map[string]bool{}    // watch -> names of auth.json in its directory
	add := func(dir, name string, mask uint32) error {
		wd, err := unix.InotifyAddWatch(fd, dir, mask)
		if err != nil {
			return err
		}
		if names[int32(wd)] == nil {
			names[int32(wd)] = map[string]bool{}
		}
		names[int32(wd)][name] = true
		return nil
	}
	const authMask = unix.IN_OPEN | unix.IN_CLOSE_NOWRITE | unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_DELETE | unix.IN_ONLYDIR
	authPath := filepath.Join(home, AuthFileName)
	if err := add(home, AuthFileName, authMask); err != nil {
		f.Close()
		return nil, err
	}
	if target, err := filepath.EvalSymlinks(authPath); err == nil && target != authPath {
		_ = add(filepath.Dir(target), filepath.Base(target), authMask)
	}
	markerWD := int32(-1)
	{
		wd, err := unix.InotifyAddWatch(fd, filepath.Dir(marker), unix.IN_OPEN|unix.IN_CLOSE|unix.IN_ONLYDIR)
		if err != nil {
			f.Close()
			return nil, err
		}
		markerWD = int32(wd)
	}
	markerPrefix := filepath.Base(marker) + "-"
	removeDeadMarkers(marker)
	// Close ends the reading goroutine and waits for it: once Close has
	// returned, the watch writes nothing more (no published read) in dir.
	exited := make(chan struct{})
	stop := func() error {
		err := f.Close()
		<-exited
		return err
	}
	w := newReadWatch(ForeignReadPath(dir, home), func() string { return fileIdentity(authPath) }, stop)
	// Reads under way in other Codex Tray processes as the watch starts:
	// their markers were opened before it, so no event tells of them, but
	// their opening (or closing) of auth.json may come after. Without
	// them, every status started beside another's read would take that
	// read for another program's and hold off refreshes. A marker counts
	// from its creation (mtime), so one a dead process left is stale.
	if found, err := filepath.Glob(marker + "-*"); err == nil {
		for _, m := range found {
			if fi, err := os.Stat(m); err == nil {
				w.marker(filepath.Base(m), true, fi.ModTime())
			}
		}
	}
	go func() {
		defer close(exited)
		buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
		for {
			n, err := f.Read(buf)
			if err != nil {
				if !errors.Is(err, os.ErrClosed) {
					w.unknown(time.Now())
				}
				return
			}
			at := time.Now()
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := ""
				if ev.Len > 0 {
					raw := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
					for i, c := range raw {
						if c == 0 {
							raw = raw[:i]
							break
						}
					}
					name = string(raw)
				}
				off += unix.SizeofInotifyEvent + int(ev.Len)
				switch {
				case ev.Mask&unix.IN_Q_OVERFLOW != 0:
					w.unknown(at)
				case ev.Wd == markerWD && strings.HasPrefix(name, markerPrefix):
					if ev.Mask&unix.IN_OPEN != 0 {
						w.marker(name, true, at)
					}
					if ev.Mask&unix.IN_CLOSE != 0 {
						w.marker(name, false, at)
					}
				case names[ev.Wd][name]:
					if ev.Mask&unix.IN_OPEN != 0 && w.authEvent(false, at) {
						w.publish(at)
					}
					if ev.Mask&unix.IN_CLOSE_NOWRITE != 0 && w.authEvent(true, at) {
						w.publish(at)
					}
					if ev.Mask&(unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO|unix.IN_MOVED_FROM|unix.IN_DELETE) != 0 {
						w.documentChanged(at)
					}
				}
			}
		}
	}()
	return w, nil
}

// fileIdentity names the file at path as it is now: device, inode, size
// and modification time; "" when it cannot be read.
func fileIdentity(path string) string {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d:%d", st.Dev, st.Ino, st.Size, st.Mtim.Nano())
}

// removeDeadMarkers removes the markers of processes that died inside a
// read (marker-<pid>-<n>); they are empty files.
func removeDeadMarkers(marker string) {
	found, _ := filepath.Glob(marker + "-*-*")
	for _, m := range found {
		pid, _, _ := strings.Cut(strings.TrimPrefix(m, marker+"-"), "-")
		if n, err := strconv.Atoi(pid); err == nil && n > 0 && unix.Kill(n, 0) == unix.ESRCH {
			_ = os.Remove(m)
		}
	}
}
