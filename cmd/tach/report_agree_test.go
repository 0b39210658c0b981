package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/store/storetest"
)

// Every verdict the weekly review prints is the compare engine's on the
// same periods: `tach report weekly --week W` judges each key as `tach
// report compare --period-a BASELINE --period-b WEEK` judges its measure,
// with the same observations and counts, in JSON, text and Markdown.
func TestWeeklyVerdictsAreTheCompareEngines(t *testing.T) {
	storetest.Long(t)
	judged := map[string]int{}
	// The last 12 weeks, each in one of three scopes in turn (the whole
	// cross product took minutes under the race detector, finding no more).
	scopes := [][]string{nil, {"--team", "checkout"}, {"--repo", "acme/payments"}}
	for i := 0; i < 12; i++ {
		scope := scopes[(i+1)%len(scopes)]
		{
			day := demoEnd.AddDate(0, 0, -7*(i+1)).Format(time.DateOnly)
			args := append([]string{"report", "weekly", "--db", demoDB, "--week", day}, scope...)
			code, out, errOut := tach(t, append(args, "--format", "json")...)
			if code != 0 {
				t.Fatalf("%v: exit %d: %s", args, code, errOut)
			}
			var rev struct {
				Week, Baseline struct{ From, To string }
				Keys           []metrics.KeyComparison `json:"keys"`
			}
			if err := json.Unmarshal([]byte(out), &rev); err != nil {
				t.Fatal(err)
			}
			cmpArgs := append([]string{"report", "compare", "--db", demoDB, "--format", "json",
				"--period-a", rev.Baseline.From + ".." + rev.Baseline.To, "--period-b", rev.Week.From + ".." + rev.Week.To}, scope...)
			code, out, errOut = tach(t, cmpArgs...)
			if code != 0 {
				t.Fatalf("%v: exit %d: %s", cmpArgs, code, errOut)
			}
			var c impact.Comparison
			if err := json.Unmarshal([]byte(out), &c); err != nil {
				t.Fatal(err)
			}
			_, text, _ := tach(t, args...)
			_, md, _ := tach(t, append(args, "--format", "markdown")...)
			where := fmt.Sprintf("week %s %v", day, scope)
			if len(rev.Keys) != 8 {
				t.Fatalf("%s: %d keys", where, len(rev.Keys))
			}
			for _, k := range rev.Keys {
				m := measure(t, c, k.Key)
				if k.Verdict != m.Verdict || k.N != m.NAfter || k.BaselineN != m.NBefore || k.NUnit != m.NUnit ||
					!sameInt(k.Count, m.CountAfter) || !sameInt(k.BaselineCount, m.CountBefore) || !sameFloat(k.PValue, m.PValue) {
					t.Errorf("%s, %s: weekly says %q (%d vs %d %s), compare says %q (%d vs %d)", where, k.Key, k.Verdict, k.N, k.BaselineN, k.NUnit, m.Verdict, m.NAfter, m.NBefore)
				}
				if (k.Verdict == impact.VerdictImproved) != (k.Direction == "better") || (k.Verdict == impact.VerdictWorsened) != (k.Direction == "worse") {
					t.Errorf("%s, %s: direction %q with verdict %q", where, k.Key, k.Direction, k.Verdict)
				}
				if !lineHas(text, k.Name, k.Verdict) || !lineHas(md, "| "+k.Name+" |", "| "+k.Verdict+" |") {
					t.Errorf("%s, %s: the text or Markdown review does not say %q", where, k.Key, k.Verdict)
				}
				judged[k.Verdict]++
			}
		}
	}
	// The demo's last 12 weeks give every verdict but history's (lead time
	// improved in the week of 31 August): the test compares more than "not
	// enough data".
	for _, v := range []string{impact.VerdictNoClearChange, impact.VerdictNotEnoughData, impact.VerdictImproved, impact.VerdictWorsened} {
		if judged[v] == 0 {
			t.Errorf("no key was judged %q: %v", v, judged)
		}
	}
}

// measure is the comparison's measure behind a headline key.
func measure(t *testing.T, c impact.Comparison, key string) impact.MeasureComparison {
	t.Helper()
	for _, m := range c.Measures {
		if m.Key == impact.KeyMeasures(key)[0] {
			return m
		}
	}
	t.Fatalf("the comparison has no measure for %s", key)
	return impact.MeasureComparison{}
}

func sameInt(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func sameFloat(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// lineHas reports whether a line of s holds both parts.
func lineHas(s, a, b string) bool {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, a) && strings.Contains(line, b) {
			return true
		}
	}
	return false
}
