package demo

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"
)

// rng is a seeded PCG stream with the distributions the demo draws from.
// Every repository has its own streams, named, so adding a repo or a draw in
// one repo leaves the others' data unchanged.
type rng struct{ *rand.Rand }

func newRNG(seed int64, stream string) rng {
	h := fnv.New64a()
	h.Write([]byte(stream))
	return rng{rand.New(rand.NewPCG(uint64(seed), h.Sum64()))}
}

// chance is true with probability p.
func (r rng) chance(p float64) bool { return r.Float64() < p }

// between is a uniform duration in [lo, hi), whole seconds.
func (r rng) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo.Truncate(time.Second)
	}
	return (lo + time.Duration(r.Int64N(int64(hi-lo)))).Truncate(time.Second)
}

// logNormal is a log-normal duration with the given median and log-sd,
// clamped to [lo, hi], whole seconds.
func (r rng) logNormal(median time.Duration, sigma float64, lo, hi time.Duration) time.Duration {
	return lnFrom(median, sigma, r.NormFloat64(), lo, hi)
}

// lnFrom is a log-normal duration from a standard normal deviate z.
func lnFrom(median time.Duration, sigma, z float64, lo, hi time.Duration) time.Duration {
	d := time.Duration(float64(median) * math.Exp(sigma*z))
	return min(max(d, lo), hi).Truncate(time.Second)
}

// pick returns one of xs.
func pick[T any](r rng, xs []T) T { return xs[r.IntN(len(xs))] }

// pickWeighted returns an index drawn with the given weights.
func (r rng) pickWeighted(w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	u := r.Float64() * total
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

// quota turns a probability per trial into a low-variance sequence of hits:
// the expected number of hits in any run of trials is the sum of their
// probabilities, off by at most about one. Effects built into the demo must
// show in an 8-week window, which independent coin flips would blur.
type quota struct{ acc float64 }

func newQuota(r rng) quota { return quota{acc: r.Float64()} }

// take adds p (jittered by ±50 %, so hits are not evenly spaced) and says
// whether this trial is a hit.
func (q *quota) take(r rng, p float64) bool {
	q.acc += p * (0.5 + r.Float64())
	if q.acc >= 1 {
		q.acc--
		return true
	}
	return false
}

// count turns an expected number of events into a whole count, carrying the
// remainder to the next call: daily arrivals whose weekly totals hardly
// vary.
func (q *quota) count(r rng, expected float64) int {
	q.acc += expected * (0.7 + 0.6*r.Float64())
	n := int(q.acc)
	q.acc -= float64(n)
	return n
}

// lowDisc is a quasi-random sequence (Roberts' R_d: a Kronecker sequence
// whose step is the powers of the inverse of the generalised golden ratio)
// in d dimensions. Drawing the durations of consecutive changes from it
// instead of independent normals makes the distribution over any few dozen
// changes match the intended one closely, so the medians a before/after
// comparison reads move only where the demo moves them.
type lowDisc struct {
	n     uint64
	alpha []float64
	off   []float64
}

func newLowDisc(r rng, dims int) *lowDisc {
	// phi_d is the positive root of x^(d+1) = x + 1.
	phi := 2.0
	for range 50 {
		phi = math.Pow(1+phi, 1/float64(dims+1))
	}
	q := &lowDisc{alpha: make([]float64, dims), off: make([]float64, dims)}
	for i := range dims {
		q.alpha[i] = math.Mod(math.Pow(1/phi, float64(i+1)), 1)
		q.off[i] = r.Float64()
	}
	return q
}

// normals returns the next point as standard normal deviates.
func (q *lowDisc) normals() []float64 {
	q.n++
	z := make([]float64, len(q.alpha))
	for i := range z {
		u := math.Mod(q.off[i]+float64(q.n)*q.alpha[i], 1)
		u = min(max(u, 1e-6), 1-1e-6)
		z[i] = math.Sqrt2 * math.Erfinv(2*u-1)
	}
	return z
}

// sha is a stable 40-hex commit id for a named object of a repo.
func sha(repo, kind string, n int64, extra int) string {
	sum := sha1.Sum(fmt.Appendf(nil, "%s|%s|%d|%d", repo, kind, n, extra))
	return hex.EncodeToString(sum[:])
}

// Working hours are 08:00–19:00, Monday to Friday, in each person's own
// time zone (an offset from UTC); deployments run on London time (UTC).
const (
	dayStartHour = 8
	dayEndHour   = 19
)

func working(t time.Time) bool {
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday && t.Hour() >= dayStartHour && t.Hour() < dayEndHour
}

// nextWorkingStart is the next 08:00 of a weekday after t.
func nextWorkingStart(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), dayStartHour, 0, 0, 0, time.UTC)
	if !d.After(t) {
		d = d.AddDate(0, 0, 1)
	}
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// lastWorkingEnd is the latest 19:00 of a weekday before t.
func lastWorkingEnd(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), dayEndHour, 0, 0, 0, time.UTC)
	if !d.Before(t) {
		d = d.AddDate(0, 0, -1)
	}
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// addWork is t plus d of working time in the time zone off: the clock runs
// only in working hours, so a two-hour review started at 18:00 local time
// ends at 09:00 the next working day.
func addWork(t time.Time, d, off time.Duration) time.Time {
	t = t.Add(off) // local clock time, computed as if UTC
	if !working(t) {
		t = nextWorkingStart(t)
	}
	for {
		left := dayAt(t, dayEndHour, 0).Sub(t)
		if d < left {
			return t.Add(d - off)
		}
		d -= left
		t = nextWorkingStart(dayAt(t, dayEndHour, 0))
	}
}

// subWork is t minus d of working time in the time zone off.
func subWork(t time.Time, d, off time.Duration) time.Time {
	t = t.Add(off)
	if !working(t) {
		t = lastWorkingEnd(t)
	}
	for {
		avail := t.Sub(dayAt(t, dayStartHour, 0))
		if d < avail {
			return t.Add(-d - off)
		}
		d -= avail
		t = lastWorkingEnd(dayAt(t, dayStartHour, 0))
	}
}

// work is addWork most of the time, and now and then plain clock time:
// people mostly act during their working day.
func (r rng) work(t time.Time, d, off time.Duration) time.Time {
	if r.chance(0.05) {
		return t.Add(d)
	}
	return addWork(t, d, off)
}

// dayAt is the day of t at the given hour and minute, UTC.
func dayAt(day time.Time, h, m int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, time.UTC)
}

// weekdayIndex is 0 for Monday … 6 for Sunday.
func weekdayIndex(t time.Time) int { return (int(t.Weekday()) + 6) % 7 }

func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}
