package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// Day and Week are the lengths ParseDuration gives the d and w units.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// ParseDuration parses a duration in Go syntax (time.ParseDuration: 90m,
// 1h30m, 48h) extended with d (24h) and w (7d) units: 180d, 8w, 1d12h, 1.5d.
// Days are fixed 24-hour days. A leading "-" gives a negative duration.
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	if s == "" {
		return 0, errors.New("empty duration")
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, errors.New("invalid duration " + strconv.Quote(orig))
	}
	if s == "0" {
		return 0, nil
	}
	var days float64 // total of the d and w parts, in days
	var rest []byte  // the parts time.ParseDuration understands
	for s != "" {
		// A number: digits with at most one '.'.
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		num := s[:i]
		if num == "" || num == "." || strings.Count(num, ".") > 1 {
			return 0, errors.New("invalid duration " + strconv.Quote(orig))
		}
		s = s[i:]
		// A unit: everything up to the next digit or '.'.
		j := 0
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		unit := s[:j]
		s = s[j:]
		switch unit {
		case "":
			return 0, errors.New("missing unit in duration " + strconv.Quote(orig))
		case "d", "w":
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, errors.New("invalid duration " + strconv.Quote(orig))
			}
			if unit == "w" {
				v *= 7
			}
			days += v
		default:
			rest = append(rest, num...)
			rest = append(rest, unit...)
		}
	}
	const maxDays = float64(math.MaxInt64) / float64(Day)
	if days >= maxDays {
		return 0, errors.New("duration " + strconv.Quote(orig) + " is too long")
	}
	d := time.Duration(math.Round(days * float64(Day)))
	if len(rest) > 0 {
		r, err := time.ParseDuration(string(rest))
		if err != nil {
			// time.ParseDuration's message quotes the remainder, not the
			// input; name the input instead.
			if strings.Contains(err.Error(), "unknown unit") {
				return 0, errors.New("unknown unit in duration " + strconv.Quote(orig))
			}
			return 0, errors.New("invalid duration " + strconv.Quote(orig))
		}
		if r > math.MaxInt64-d {
			return 0, errors.New("duration " + strconv.Quote(orig) + " is too long")
		}
		d += r
	}
	if neg {
		d = -d
	}
	return d, nil
}

// FormatDuration writes d with the largest whole units ParseDuration reads
// back: 168h → 1w, 180d, 36h → 1d12h, 90m → 1h30m.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	if d%Week == 0 {
		return b.String() + strconv.FormatInt(int64(d/Week), 10) + "w"
	}
	if d >= Day {
		b.WriteString(strconv.FormatInt(int64(d/Day), 10) + "d")
		d %= Day
		if d == 0 {
			return b.String()
		}
	}
	s := d.String() // e.g. 12h0m0s
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return b.String() + s
}
