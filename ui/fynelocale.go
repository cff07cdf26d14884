package ui

// Every program that links this package links Fyne, whose lang package
// parses the user's locale at init and logs three "Fyne error" lines when it
// cannot (LANG=C.UTF-8, an unknown locale). fynelocale runs first and hands
// it a locale it can parse; see that package.
import _ "github.com/codextray/codextray/internal/fynelocale"
