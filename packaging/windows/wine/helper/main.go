//go:build windows

// Command helper is a Windows program for the Wine tests in packaging/
// (wine_test.go); it is never shipped. It plays the other Windows programs
// Codex Tray meets:
//
//	helper lock [-whole] FILE...   take LockFileEx on each FILE, in order, as
//	                               core/auth does (1 byte at offset 0) or, with
//	                               -whole, as Rust's File::lock does (every
//	                               byte); print "locked", hold the locks until
//	                               stdin ends, print "released"
//	helper open FILE               open FILE for reading as a Go program does
//	                               (no FILE_SHARE_DELETE), print "open", keep
//	                               it open until stdin ends, print "closed"
//	helper autostart enable EXE|disable|enabled
//	                               core/autostart's Enable, Disable, Enabled
//	helper keychain clear          delete every Credential Manager entry of
//	                               the service "codextray" (the mirror's)
//	helper keychain sizes USER...  print the length of each "codextray" entry,
//	                               or "absent" (never a secret)
//
// Every failure goes to stderr with exit status 1.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/zalando/go-keyring"
	"golang.org/x/sys/windows"

	"github.com/codextray/codextray/core/autostart"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: helper lock [-whole] FILE... | open FILE | autostart enable EXE|disable|enabled | keychain clear|sizes USER [USER]")
	}
	switch args[0] {
	case "lock":
		return lock(args[1:])
	case "open":
		if len(args) != 2 {
			return fmt.Errorf("usage: helper open FILE")
		}
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		fmt.Println("open")
		_, _ = io.Copy(io.Discard, os.Stdin)
		f.Close()
		fmt.Println("closed")
		return nil
	case "autostart":
		return autostartCmd(args[1:])
	case "keychain":
		return keychainCmd(args[1:])
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func lock(args []string) error {
	low, high := uint32(1), uint32(0) // core/auth/lock_windows.go
	if len(args) > 0 && args[0] == "-whole" {
		low, high = ^uint32(0), ^uint32(0) // Rust's std File::lock
		args = args[1:]
	}
	if len(args) == 0 {
		return fmt.Errorf("lock: no file")
	}
	var held []*os.File
	for _, name := range args {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		if err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, low, high, new(windows.Overlapped)); err != nil {
			return fmt.Errorf("LockFileEx %s: %w", name, err)
		}
		held = append(held, f)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	for i := len(held) - 1; i >= 0; i-- {
		held[i].Close() // closing the handle releases its lock
	}
	fmt.Println("released")
	return nil
}

func autostartCmd(args []string) error {
	switch {
	case len(args) == 2 && args[0] == "enable":
		return autostart.Enable(args[1])
	case len(args) == 1 && args[0] == "disable":
		return autostart.Disable()
	case len(args) == 1 && args[0] == "enabled":
		on, err := autostart.Enabled()
		if err != nil {
			return err
		}
		fmt.Println(on)
		return nil
	}
	return fmt.Errorf("usage: helper autostart enable EXE|disable|enabled")
}

// mirrorService is auth.MirrorService; core/auth is not imported for one
// constant.
const mirrorService = "codextray"

func keychainCmd(args []string) error {
	switch {
	case len(args) == 1 && args[0] == "clear":
		if err := keyring.DeleteAll(mirrorService); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return err
		}
		return nil
	case len(args) > 1 && args[0] == "sizes":
		for _, user := range args[1:] {
			v, err := keyring.Get(mirrorService, user)
			switch {
			case errors.Is(err, keyring.ErrNotFound):
				fmt.Println("absent")
			case err != nil:
				return err
			default:
				fmt.Println(len(v))
			}
		}
		return nil
	}
	return fmt.Errorf("usage: helper keychain clear|sizes USER [USER]")
}
