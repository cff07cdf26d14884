package view

// Window is one of the windows the window host shows.
type Window int

const (
	// Chat is the chat window, what a left click on the tray icon opens.
	Chat Window = iota
	// Status shows the login, usage and actions (`status --json`, readable).
	Status
	// Settings edits the user's settings.
	Settings
	// SignIn shows the sign-in command when no terminal could be opened.
	SignIn
)

// windowNames are the names on the wire: `--open NAME`, the instance
// socket and the window host's requests.
var windowNames = [...]string{Chat: "chat", Status: "status", Settings: "settings", SignIn: "signin"}

// String is the window's name on the wire.
func (w Window) String() string {
	if w < 0 || int(w) >= len(windowNames) {
		return "chat"
	}
	return windowNames[w]
}

// ParseWindow reads a window's name; "" is the chat (a second plain start
// of the program opens it).
func ParseWindow(name string) (Window, bool) {
	if name == "" {
		return Chat, true
	}
	for w, n := range windowNames {
		if n == name {
			return Window(w), true
		}
	}
	return Chat, false
}
