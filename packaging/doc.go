// Package packaging holds the per-OS packaging of Codex Tray (see
// PACKAGING.md) and, in its tests, the checks of what `make package` builds.
// It has no code of its own.
package packaging
