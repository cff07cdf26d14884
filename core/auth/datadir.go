package auth

import (
	"path/filepath"
	"strings"
)

// The files core/auth keeps in the app's data directory (appdata.Dir),
// named here and nowhere else; the package doc says what each is for.
// Per-login files carry the Codex home's key, the 16 hex digits Codex puts
// in its keychain account (KeyringUser), so two Codex homes never share
// one.

// reloginFile is the last permanent refresh failure (FailureStore).
const reloginFile = "relogin.json"

// homeKey is the Codex home's part of a per-login file name.
func homeKey(home string) string { return strings.TrimPrefix(KeyringUser(home), "cli|") }

// journalPath is the refresh journal of home (RefreshJournal).
func journalPath(dir, home string) string {
	return filepath.Join(dir, "refresh-journal-"+homeKey(home)+".json")
}

// spentMarkPath is the spent mark of home: a token answered
// refresh_token_reused.
func spentMarkPath(dir, home string) string {
	return filepath.Join(dir, "refresh-spent-"+homeKey(home)+".json")
}

// unansweredMarkPath is the unanswered mark of home: a token whose POST got
// no usable answer.
func unansweredMarkPath(dir, home string) string {
	return filepath.Join(dir, "refresh-unanswered-"+homeKey(home)+".json")
}

// ReadMarkerPath is where Codex Tray processes mark their reads of home's
// auth.json, in the app's data directory dir: each read opens a new empty
// file named ReadMarkerPath-<pid>-<n> just before it opens auth.json, and
// closes and removes it just after, so that its reads are told apart from
// other programs' (see ReadWatch).
func ReadMarkerPath(dir, home string) string {
	return filepath.Join(dir, "auth-read-"+homeKey(home))
}

// ForeignReadPath is where the watches of all Codex Tray processes record
// the last read of home's auth.json by another program (ReadWatch).
func ForeignReadPath(dir, home string) string {
	return filepath.Join(dir, "auth-foreign-read-"+homeKey(home)+".json")
}
