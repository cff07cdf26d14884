package main

import (
	"context"
	"sync"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/core/usage"
)

// newUsageMonitor returns the process's usage monitor, made on first use
// and the same afterwards: the process's backend client, and the usage
// history (usage.db) beside the chat history. Without a readable usage
// history it still polls, without history, pace or notification memory.
func newUsageMonitor(client *provider.Client) func() *usage.Monitor {
	var once sync.Once
	var m *usage.Monitor
	return func() *usage.Monitor {
		once.Do(func() {
			m = &usage.Monitor{Source: client}
			if dir, err := appdata.Dir(); err == nil {
				if st, err := usage.Open(context.Background(), usage.DefaultPath(dir)); err == nil {
					m.Store = st // open for the process's life
				}
			}
		})
		return m
	}
}
