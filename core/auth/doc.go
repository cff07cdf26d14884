// Package auth owns Codex's login as Codex Tray sees it, with Codex's own
// rules: it finds the Codex home (CODEX_HOME, config.toml's credential
// store), reads the login from auth.json or Codex's keychain entry
// (Loader, Document, Secret), decodes the JWT claims, turns a reading into
// the Status every front end shows, watches the login for changes
// (Watcher), refreshes the tokens under Codex's own locks without ever
// sending a refresh token that may have been spent (Refresher,
// CommitLock, RefreshJournal, ReadWatch), and keeps and restores a copy of
// the login in the OS keychain (Mirror).
//
// In the Codex home it reads auth.json and config.toml, and writes only
// auth.json (through .auth-XXXXXX temp files and a rename, as Codex does),
// under Codex's lock files auth.lock and auth.json.lock; a restore moves an
// unreadable auth.json aside as auth.json.unreadable-<time>.
//
// In the app's data directory (appdata.Dir) it keeps, all named in
// datadir.go:
//
//   - relogin.json: the last permanent refresh failure, so the tray and
//     `codextray status` agree that only a new sign-in helps (FailureStore);
//   - refresh-journal-<home>.json: a refreshed login from the token
//     server's answer until it is written where Codex reads it, so a crash
//     or a failed write cannot lose the tokens a spent refresh token
//     bought (RefreshJournal, Refresher.Recover);
//   - refresh-spent-<home>.json: the hash of a refresh token answered
//     refresh_token_reused, so no other Codex Tray process posts it again
//     within the reuse grace (spent mark);
//   - refresh-unanswered-<home>.json: the hash of a refresh token whose
//     POST got no usable answer and may have been spent, never sent again
//     while the login holds it (unanswered mark);
//   - auth-read-<home>-<pid>-<n>: read markers, open only while a Codex
//     Tray process reads auth.json, so its reads are told apart from
//     Codex's (ReadMarkerPath, ReadWatch);
//   - auth-foreign-read-<home>.json: the last read of auth.json by another
//     program, shared by every Codex Tray process's watch (ForeignReadPath).
//
// <home> is the Codex home's key as Codex names its keychain account, so
// two Codex homes never share a file. Every file is written whole
// (userfile.WriteAtomic) and 0600. Tokens live only in auth.json, Codex's
// keychain entry, the mirror and the journal; anything else names a token
// by its hash. Tests tune the Refresher through its fields (LockTimeout,
// ReuseGrace, BeforeRename), not through package variables.
package auth
