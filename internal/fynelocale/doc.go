// Package fynelocale makes the process's locale one that Fyne can read,
// before Fyne reads it. Import it for its side effect (blank import) in every
// program that links Fyne.
//
// Why: fyne.io/fyne/v2/lang reads the user's locale in its package init
// (through github.com/jeandeaual/go-locale: the first non-empty of LC_ALL,
// LC_MESSAGES and LANG, or LANGUAGE's list) and parses it as a BCP 47 tag.
// Common POSIX values do not parse: "C.UTF-8" (the default of Debian
// containers, CI and ssh sessions) becomes the tag "C", an unknown locale
// such as "xx_YY.UTF-8" becomes the unknown language "xx", "sr_RS@latin"
// keeps its "@latin". Each failure prints three "Fyne error: Error parsing
// user locale" lines on stderr, at init, so even `codextray version` did, and
// the GUI repeats them whenever Fyne looks the locale up again (fonts, date
// formats). Fyne then falls back to English anyway.
//
// Where: Linux and the BSDs, where go-locale reads the environment (on
// Windows and macOS it asks the system and the package does nothing).
//
// What: when go-locale's list of locales has an entry that does not parse,
// init sets LANGUAGE to the entries that do (with a "@modifier" removed), in
// POSIX form ("de_DE"), or to "en" when none does. go-locale prefers
// LANGUAGE whenever the locale is not exactly "C" or "POSIX", so Fyne then
// sees only parseable tags. A locale that parses (en_US.UTF-8, de_DE.UTF-8,
// C, POSIX, or none) is left alone: nothing is changed for the usual desktop.
// Child processes inherit LANGUAGE; gettext ignores it in the C locale (which
// is what C.UTF-8 and an unknown locale amount to), and otherwise it names
// the same languages the locale did.
//
// When: Go initialises packages in import-path order among those whose
// imports are ready (the Go spec, "Package initialization", since Go 1.21).
// This package imports only what fyne's lang package already depends on
// (os, strings, golang.org/x/text/language) and its path sorts before
// github.com/nicksnyder/go-i18n, which lang imports, so this init always runs
// before lang's. TestQuietUnderEveryLocale in the main package checks the
// result on the built binary.
package fynelocale
