package render

import (
	"fmt"
	"strings"

	"github.com/tach-dev/tach/metrics/impact"
)

// Two things a comparison's reader needs beside the numbers: the other
// decisions inside its windows (their effects are mixed into the
// estimate), and, for each measure whose two estimates disagree, why the
// plain before/after and the interrupted time series say different things.

// Confounders says which other decisions fall in the compared windows, or
// "" when none does.
func Confounders(c impact.Comparison) string {
	if len(c.Confounders) == 0 {
		return ""
	}
	items := make([]string, len(c.Confounders))
	for i, d := range c.Confounders {
		items[i] = fmt.Sprintf("#%d %q (%s, %s)", d.ID, d.Title, d.Date, d.Side)
	}
	what := "this one's"
	if c.Kind != impact.CompareDecision {
		what = "whatever happened at the " + breakWord(c.Kind)
	}
	n := "Another decision falls"
	if len(items) > 1 {
		n = fmt.Sprintf("%d other decisions fall", len(items))
	}
	return fmt.Sprintf("%s in the windows compared: %s. The estimate mixes their effects with %s.", n, joinAnd(items), what)
}

// CleanWindow says which window avoids the confounders: "The longest
// window that avoids them is 3 weeks on each side.", or that none does;
// "" without confounders or for comparisons that are not around a date.
func CleanWindow(c impact.Comparison) string {
	if len(c.Confounders) == 0 || (c.Kind != impact.CompareDecision && c.Kind != impact.CompareDate) {
		return ""
	}
	if c.CleanWindowDays == nil {
		return "No window of a week or more on each side avoids them; compare a scope they do not touch, or read the weekly series."
	}
	return fmt.Sprintf("The longest window that avoids them is %s on each side.", WeeksText(float64(*c.CleanWindowDays)))
}

// reconcile is one sentence on a measure whose before/after verdict and
// interrupted time series disagree — one finds a change and the other
// none, or they point opposite ways — written from the numbers; "" when
// they agree or there is no time series.
func reconcile(m impact.MeasureComparison, kind string, gapDays int) string {
	its := m.ITS
	if its == nil || m.Difference == nil {
		return ""
	}
	baClear := m.Verdict == impact.VerdictImproved || m.Verdict == impact.VerdictWorsened
	if !baClear && m.Verdict != impact.VerdictNoClearChange {
		return "" // not enough data: nothing to reconcile
	}
	itsClear := excludesZero(its.LevelInterval)
	baUp, levelUp := *m.Difference > 0, its.LevelChange > 0
	at := "at the " + breakWord(kind)
	level := FormatITSChange(m.Unit, its.LevelChange, its.LevelInterval)
	p := its.LevelP
	pre, post := its.PreSlope, its.PostSlope
	name := lowerName(m.Name)
	trend := func(slope float64) string {
		if slope > 0 {
			return "rising"
		}
		return "falling"
	}
	// The pre-trend carried on from the middle of one side to the middle
	// of the other: what it alone moves the comparison by.
	span := float64(its.WeeksBefore+its.WeeksAfter)/2 + float64(gapDays)/7
	shift := pre * span
	fd := func(v float64) string { return FormatMeasureDifference(m.Unit, &v) }
	switch {
	case baClear && !itsClear:
		share := shift / *m.Difference
		head := fmt.Sprintf("The before/after change (%s) is not a clear jump %s (level change %s, %s)", FormatChange(m), at, level, FormatP(&p))
		switch {
		case share >= 0.5:
			return head + fmt.Sprintf(": %s was already %s before it (%s a week), and that trend carried on over the %s between the sides' middles makes %s, most of the difference.",
				name, trend(pre), fd(pre), weeksWord(span), fd(shift))
		case share >= 0.2:
			return head + fmt.Sprintf(": part of the difference (%s of %s) is the trend %s had before it (%s a week), carried on.",
				fd(shift), fd(*m.Difference), name, fd(pre))
		case levelUp == baUp && m.Statistic == impact.StatRate:
			return head + fmt.Sprintf(": the jump points the same way, but a trend fitted on each side leaves it uncertain on %d weeks.",
				its.WeeksBefore+its.WeeksAfter)
		case levelUp == baUp:
			return head + fmt.Sprintf(": the jump points the same way, but %d weekly values carry less evidence than the %d %s compared one by one.",
				its.WeeksBefore+its.WeeksAfter, m.NBefore+m.NAfter, m.NUnit)
		}
		return head + ": the weekly values lean neither way, so the difference is spread over the weeks rather than placed at the " + breakWord(kind) + "."
	case !baClear && itsClear:
		head := fmt.Sprintf("The weekly series jump %s (level change %s, %s), yet the before/after values show no clear change", at, level, FormatP(&p))
		if pre != 0 && (pre > 0) != levelUp && abs(shift) >= 0.3*abs(its.LevelChange) {
			return head + fmt.Sprintf(": %s was %s before it (%s a week), which over the %s between the sides' middles makes %s and offsets the jump.",
				name, trend(pre), fd(pre), weeksWord(span), fd(shift))
		}
		if post != 0 && (post > 0) != levelUp {
			return head + fmt.Sprintf(": after the jump %s drifted back (%s a week), so the sides average out.", name, fd(post))
		}
		return head + ": the jump is small against the spread of the values on each side."
	case baClear && itsClear && baUp != levelUp:
		return fmt.Sprintf("The two sides differ one way (%s) but the level jumped the other %s (%s, %s): the difference comes from the trends (%s a week before, %s after), not from the %s.",
			FormatChange(m), at, level, FormatP(&p), fd(pre), fd(post), breakWord(kind))
	}
	return ""
}

// excludesZero reports whether a 95 % interval lies wholly on one side of
// zero (a null end is infinite).
func excludesZero(iv impact.CompareInterval) bool {
	return iv.Low != nil && *iv.Low > 0 || iv.High != nil && *iv.High < 0
}

// Reconciliations are the sentences of the measures whose two estimates
// disagree, each after its measure's name.
func Reconciliations(c impact.Comparison) []string {
	var out []string
	for _, m := range c.Measures {
		if m.Reconcile != "" {
			out = append(out, m.Name+": "+lowerFirstWord(m.Reconcile))
		}
	}
	return out
}

func lowerFirstWord(s string) string {
	if strings.HasPrefix(s, "The ") {
		return "the " + s[4:]
	}
	return s
}

// weeksWord is "8 weeks", "1 week", "8.5 weeks".
func weeksWord(w float64) string {
	if w == 1 {
		return "1 week"
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", w), ".0") + " weeks"
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
