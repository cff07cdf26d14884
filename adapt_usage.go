package main

import (
	"context"
	"sync"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/core/usage"
)

// newUsageMonitor returns the process's usage monitor, made on first use
// and the same afterwards (the window host's status window and chat share
// it): the backend client of the login, and the usage history beside the
// chat history. Without a readable usage history it still polls, without
// history, pace or notification memory; without a backend there is none.
func newUsageMonitor(svc *login.Service, version string) func() *usage.Monitor {
	var once sync.Once
	var m *usage.Monitor
	return func() *usage.Monitor {
		once.Do(func() {
			c, err := svc.Backend(version)
			if err != nil {
				return
			}
			m = &usage.Monitor{Source: c}
			if dir, err := appdata.Dir(); err == nil {
				if st, err := usage.Open(context.Background(), usage.DefaultPath(dir)); err == nil {
					m.Store = st // open for the process's life
				}
			}
		})
		return m
	}
}
