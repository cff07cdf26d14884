package main

import (
	"context"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/history"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/core/platform"
	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/ui"
)

// chatDeps wires the chat window: the login's backend client streams the
// turns, core/chat reads and fits dropped images, and the login watch turns
// sending off while Codex is signed out; the conversations are saved in
// history.db in the app's data directory.
func chatDeps(svc *login.Service, version string, b ui.Backend) ui.ChatDeps {
	d := ui.ChatDeps{
		Backend:        b,
		LoadFile:       chat.LoadFile,
		Watch:          svc.Watch,
		SignIn:         func() error { return platform.OpenInTerminal(platform.LoginCommand) },
		WindowPosition: platform.WindowPosition,
		MoveWindow:     platform.MoveWindow,
		// Fyne's clipboard is text only: an image comes from the system's tools.
		ClipboardImage: func() (chat.Attachment, error) {
			name, data, err := platform.ClipboardImage(context.Background())
			if err != nil {
				return chat.Attachment{}, err
			}
			return chat.PrepareImage(name, data)
		},
		OpenHistory: func(ctx context.Context) (ui.ChatHistory, error) {
			dir, err := appdata.Dir()
			if err != nil {
				return nil, err
			}
			h, err := chat.OpenHistory(ctx, history.DefaultPath(dir))
			if err != nil {
				return nil, err
			}
			return h, nil
		},
	}
	c, err := svc.Backend(version)
	if err != nil { // config.toml unreadable: every turn says why
		d.Stream = func(context.Context, provider.TurnRequest) (chat.Stream, error) { return nil, err }
		return d
	}
	d.Stream = chat.ClientStream(c)
	return d
}
