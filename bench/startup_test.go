package bench

import (
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// startupRuns is how many starts the median is taken over.
const startupRuns = 10

// BenchmarkStartup times the real app from process start to its tray item
// registered with the StatusNotifierWatcher (the watcher's
// StatusNotifierItemRegistered signal), median of 10 starts after one
// unmeasured start that warms the page cache and creates the app's files.
func BenchmarkStartup(b *testing.B) {
	s := newTraySession(b)
	sigs := make(chan *dbus.Signal, 64)
	s.conn.Signal(sigs)
	defer s.conn.RemoveSignal(sigs)
	if err := s.conn.AddMatchSignal(dbus.WithMatchInterface(watcherName), dbus.WithMatchMember("StatusNotifierItemRegistered")); err != nil {
		b.Fatal(err)
	}
	once := func() time.Duration {
		for len(sigs) > 0 {
			<-sigs
		}
		start := time.Now()
		a := s.start(b, false)
		defer s.stop(b, a)
		timeout := time.After(30 * time.Second)
		for {
			select {
			case sig := <-sigs:
				if sig.Name == watcherName+".StatusNotifierItemRegistered" {
					return time.Since(start)
				}
			case <-a.exited:
				b.Fatalf("the app exited before registering its tray item:\n%s", a.out)
			case <-timeout:
				b.Fatalf("no tray item registered within 30 s:\n%s", a.out)
			}
		}
	}
	once()
	var all []time.Duration
	for i := 0; i < b.N; i++ {
		for r := 0; r < startupRuns; r++ {
			all = append(all, once())
		}
	}
	b.ReportMetric(ms(quantile(all, 0.5)), "median-ms")
	b.ReportMetric(ms(quantile(all, 0)), "min-ms")
	b.ReportMetric(ms(quantile(all, 1)), "max-ms")
}
