package topology

import (
	"fmt"
	"strconv"
	"time"
)

// ParseDuration parses a duration such as "1s", "2m30s", "1h" or "35d": Go's
// time.ParseDuration units (ns, us, ms, s, m, h) plus d for 24 hours. Negative
// durations are rejected.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if s == "0" {
		return 0, nil
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] == '.' || (rest[i] >= '0' && rest[i] <= '9')) {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%q: expected a number at %q", s, rest)
		}
		num := rest[:i]
		rest = rest[i:]
		j := 0
		for j < len(rest) && !(rest[j] == '.' || (rest[j] >= '0' && rest[j] <= '9')) {
			j++
		}
		unit := rest[:j]
		rest = rest[j:]
		if unit == "" {
			return 0, fmt.Errorf("%q: missing unit after %s (use ms, s, m, h or d)", s, num)
		}
		if unit == "d" {
			f, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("%q: %w", s, err)
			}
			const max = float64(1<<63-1) / float64(24*time.Hour)
			if f > max {
				return 0, fmt.Errorf("%q: too long", s)
			}
			total += time.Duration(f * float64(24*time.Hour))
			continue
		}
		d, err := time.ParseDuration(num + unit)
		if err != nil {
			return 0, fmt.Errorf("%q: unknown unit %q (use ms, s, m, h or d)", s, unit)
		}
		if total+d < total {
			return 0, fmt.Errorf("%q: too long", s)
		}
		total += d
	}
	return total, nil
}
