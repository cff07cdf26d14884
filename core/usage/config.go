package usage

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ParseThresholds reads "80, 95" (the Settings field): whole percents from
// 1 to 100, at most four, sorted; "" is DefaultThresholds.
func ParseThresholds(s string) ([]float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return slices.Clone(DefaultThresholds), nil
	}
	var out []float64
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		v, err := strconv.Atoi(strings.TrimSuffix(f, "%"))
		if err != nil || v < 1 || v > 100 {
			return nil, fmt.Errorf("%q is not a percent from 1 to 100", f)
		}
		if !slices.Contains(out, float64(v)) {
			out = append(out, float64(v))
		}
	}
	if len(out) > 4 {
		return nil, fmt.Errorf("at most four thresholds")
	}
	slices.Sort(out)
	return out, nil
}

// FormatThresholds writes thresholds as ParseThresholds reads them.
func FormatThresholds(ts []float64) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, strconv.Itoa(int(t)))
	}
	return strings.Join(parts, ", ")
}

// ParseMuted reads the muted window keys ("codex/5h,codex/week").
func ParseMuted(s string) map[string]bool {
	out := map[string]bool{}
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out[k] = true
		}
	}
	return out
}

// FormatMuted writes muted keys as ParseMuted reads them, sorted.
func FormatMuted(m map[string]bool) string {
	var keys []string
	for k, on := range m {
		if on {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}
