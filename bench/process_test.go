package bench

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// appBinary is the built app (make build): $CODEXTRAY_BIN, else
// ../bin/codextray. Benchmarks of whole processes skip without it.
func appBinary(b *testing.B) string {
	b.Helper()
	p := os.Getenv("CODEXTRAY_BIN")
	if p == "" {
		p = filepath.Join("..", "bin", "codextray")
	}
	p, err := filepath.Abs(p)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		b.Fatalf("no app binary at %s: run make build (or make bench)", p)
	}
	return p
}

// quantile is the q-quantile (0..1) of ds by the nearest-rank method.
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
