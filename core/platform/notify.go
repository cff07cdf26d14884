package platform

import "errors"

// ErrNoNotify means this process cannot show notifications itself here;
// the window host (Fyne) shows them instead.
var ErrNoNotify = errors.New("notifications go through the window host here")
