package chatwin

import (
	"sort"
	"time"
)

// chatDrawStats measure how smooth streaming is: how long a change waited for
// its draw, and the frames that went by meanwhile.
type chatDrawStats struct {
	draws, messages int
	latencies       []time.Duration // change to widget, per changed message per draw
	framesSkipped   int
}

// Stats say how smooth the drawing was: Latency is the time from a
// change of a message (a streamed delta) to the widgets showing it, per
// changed message per draw; FramesSkipped counts the whole frames a change
// waited beyond the one it arrived in.
type Stats struct {
	Draws         int
	Changes       int
	FramesSkipped int
	LatencyP50    time.Duration
	LatencyP95    time.Duration
	LatencyMax    time.Duration
	Messages      int
	Attached      int // images waiting in the composer
	Busy          bool
	Pending       bool // a change is waiting for its draw
}

// DrawStats returns the figures so far; UI goroutine.
func (w *Window) DrawStats() Stats {
	st := Stats{Draws: w.stats.draws, Changes: w.stats.messages, FramesSkipped: w.stats.framesSkipped,
		Messages: len(w.views), Attached: len(w.attached), Busy: w.conv.Busy()}
	n := w.conv.Len()
	st.Pending = n != len(w.views) || n > 0 && w.views[n-1].rev != w.conv.Message(n-1).Rev
	if l := append([]time.Duration(nil), w.stats.latencies...); len(l) > 0 {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		st.LatencyP50, st.LatencyP95, st.LatencyMax = l[len(l)/2], l[len(l)*95/100], l[len(l)-1]
	}
	return st
}
