// Command baretray is the floor the idle-footprint figures are compared
// with: a tray item with a one-line menu and nothing else, the same icon as
// the app, either through Fyne (as the app does: -toolkit fyne) or through
// fyne.io/systray alone, without Fyne's driver and its OpenGL context
// (-toolkit systray).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/systray"

	"github.com/codextray/codextray/assets"
)

func main() {
	toolkit := flag.String("toolkit", "fyne", "fyne or systray")
	flag.Parse()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	switch *toolkit {
	case "fyne":
		a := app.NewWithID("io.github.codextray.baretray")
		desk, ok := a.(desktop.App)
		if !ok {
			fmt.Fprintln(os.Stderr, "baretray: no system tray")
			os.Exit(1)
		}
		a.SetIcon(assets.AppIcon)
		desk.SetSystemTrayMenu(fyne.NewMenu("Bare tray", fyne.NewMenuItem("Nothing", func() {})))
		go func() { <-sigs; fyne.Do(a.Quit) }()
		a.Run()
	case "systray":
		go func() { <-sigs; systray.Quit() }()
		systray.Run(func() {
			systray.SetIcon(assets.AppIcon.Content())
			systray.SetTitle("Bare tray")
			systray.AddMenuItem("Nothing", "")
		}, func() {})
	default:
		fmt.Fprintln(os.Stderr, "baretray: -toolkit fyne or systray")
		os.Exit(2)
	}
}
