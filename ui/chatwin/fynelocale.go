package chatwin

// Fyne's lang package parses the user's locale at init and logs three
// "Fyne error" lines when it cannot (LANG=C.UTF-8, an unknown locale):
// fynelocale runs first and hands it one it can parse. main imports it too;
// this import covers every other program that links this package (tests).
import _ "github.com/codextray/codextray/internal/fynelocale"
