package chat

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestPacerCoalescesPokesIntoFrames(t *testing.T) {
	var draws, lastDraw atomic.Int64
	drawn := make(chan struct{}, 1000)
	p := NewPacer(20*time.Millisecond, func() {
		lastDraw.Store(time.Now().UnixNano())
		draws.Add(1)
		drawn <- struct{}{}
	})
	defer p.Close()

	// The first change after a quiet spell is drawn at once.
	start := time.Now()
	p.Poke()
	select {
	case <-drawn:
	case <-time.After(5 * time.Second):
		t.Fatal("no draw")
	}
	if d := time.Since(start); d > 15*time.Millisecond {
		t.Logf("first draw after %v (slow machine?)", d)
	}

	// A burst of 2000 pokes over ~100 ms gives about one draw per 20 ms.
	start = time.Now()
	for i := 0; i < 2000; i++ {
		p.Poke()
		if i%20 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	lastPoke := time.Now()
	elapsed := lastPoke.Sub(start)
	// The last poke is always drawn: a draw starts after it.
	deadline := time.After(5 * time.Second)
	for lastDraw.Load() < lastPoke.UnixNano() {
		select {
		case <-deadline:
			t.Fatal("the last poke was not drawn")
		case <-time.After(time.Millisecond):
		}
	}
	got := draws.Load() - 1
	if max := int64(elapsed/(20*time.Millisecond)) + 2; got > max || got < 1 {
		t.Errorf("%d draws for 2000 pokes in %v; want 1..%d", got, elapsed, max)
	}
}

func TestPacerCloseStopsItsGoroutine(t *testing.T) {
	p := NewPacer(time.Hour, func() {})
	p.Poke() // drawn at once, the next would wait an hour
	p.Poke()
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	p.Close() // twice is fine
}
