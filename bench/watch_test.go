package bench

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth/authtest"
)

// watchChanges is how many times auth.json is replaced per measurement.
const watchChanges = 50

// BenchmarkWatchLatency times, for each of 50 replacements of auth.json
// written as Codex writes it (temp file, fsync, rename), the span from the
// start of the write to the new line of the real `codextray status --watch
// --json`. The peer figure is a re-read on a 60 s timer, which is what the
// other tools do (p50 30 s, p99 59.4 s, whatever the implementation).
func BenchmarkWatchLatency(b *testing.B) {
	bin := appBinary(b)
	var all []time.Duration
	for i := 0; i < b.N; i++ {
		all = append(all, watchOnce(b, bin)...)
	}
	b.ReportMetric(ms(quantile(all, 0.50)), "p50-ms")
	b.ReportMetric(ms(quantile(all, 0.99)), "p99-ms")
	b.ReportMetric(ms(quantile(all, 1)), "max-ms")
}

type watchLine struct {
	expiresAt string
	at        time.Time
}

func watchOnce(b *testing.B, bin string) []time.Duration {
	b.Helper()
	home := b.TempDir()
	path := filepath.Join(home, "auth.json")
	base := time.Now().Add(10 * 24 * time.Hour).Truncate(time.Minute)
	write := func(i int) {
		doc := authtest.Login{Expires: base.Add(time.Duration(i) * time.Minute), Email: "ada@example.com", Plan: "plus"}.Document()
		if err := authtest.WriteAtomic(path, doc); err != nil {
			b.Fatal(err)
		}
	}
	write(0)
	cmd := exec.Command(bin, "status", "--watch", "--json")
	cmd.Env = append(os.Environ(), "CODEX_HOME="+home)
	// Its stderr stays out of the benchmark output, which benchstat reads.
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	lines := make(chan watchLine, 256)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			at := time.Now()
			var st struct {
				ExpiresAt string `json:"expires_at"`
			}
			if json.Unmarshal(sc.Bytes(), &st) == nil {
				lines <- watchLine{st.ExpiresAt, at}
			}
		}
	}()
	wait := func(want string) time.Time {
		deadline := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					b.Fatalf("status --watch ended; stderr:\n%s", stderr)
				}
				if l.expiresAt == want {
					return l.at
				}
			case <-deadline:
				b.Fatalf("no status line with expires_at %s within 10 s; stderr:\n%s", want, stderr)
			}
		}
	}
	want := func(i int) string { return base.Add(time.Duration(i) * time.Minute).UTC().Format(time.RFC3339) }
	wait(want(0))
	var lat []time.Duration
	for i := 1; i <= watchChanges; i++ {
		// Let the watcher settle, at a varying phase.
		time.Sleep(time.Duration(100+(i*37)%100) * time.Millisecond)
		start := time.Now()
		write(i)
		lat = append(lat, wait(want(i)).Sub(start))
	}
	return lat
}
