// Package bench measures Codex Tray side by side with its peers. It is its
// own module so that the peers' code (openai-go) never becomes a dependency
// of the app. Run it with `make bench` from the repository root.
package bench
