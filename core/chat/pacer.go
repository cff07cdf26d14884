package chat

import (
	"sync"
	"time"
)

// Frame is the pace of redraws: about one frame of a 60 Hz screen.
const Frame = 16 * time.Millisecond

// Pacer turns any number of changes into at most one draw per interval.
// Poke says something changed (from any goroutine, never blocking); the
// pacer's goroutine then calls draw, at once when the last draw is older
// than the interval, else when it is due. draw hands the work to the UI and
// returns when it is done, so no more than one draw is ever queued. Changes
// made while a draw is waiting or running are drawn by the next one.
type Pacer struct {
	interval time.Duration
	draw     func()
	poke     chan struct{} // capacity 1: pokes coalesce
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once

	mu    sync.Mutex
	stats PacerStats
}

// PacerStats count pokes and draws.
type PacerStats struct {
	Pokes, Draws int
}

// NewPacer starts a pacer; Close stops it.
func NewPacer(interval time.Duration, draw func()) *Pacer {
	p := &Pacer{interval: interval, draw: draw, poke: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	go p.loop()
	return p
}

// Poke asks for a draw.
func (p *Pacer) Poke() {
	p.mu.Lock()
	p.stats.Pokes++
	p.mu.Unlock()
	select {
	case p.poke <- struct{}{}:
	default:
	}
}

// Stats returns the counts so far.
func (p *Pacer) Stats() PacerStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close stops the pacer and waits for its goroutine (and a draw in
// progress) to end. Pokes after Close are ignored.
func (p *Pacer) Close() {
	p.once.Do(func() { close(p.stop) })
	<-p.done
}

// Stopped is closed by Close: a draw waiting on the UI can give up on it.
func (p *Pacer) Stopped() <-chan struct{} { return p.stop }

func (p *Pacer) loop() {
	defer close(p.done)
	var last time.Time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-p.poke:
		}
		if wait := p.interval - time.Since(last); wait > 0 {
			timer.Reset(wait)
			select {
			case <-p.stop:
				timer.Stop()
				return
			case <-timer.C:
			}
		}
		last = time.Now()
		p.draw()
		p.mu.Lock()
		p.stats.Draws++
		p.mu.Unlock()
	}
}
