package metrics

import (
	"testing"
	"time"
)

func productionAt(ats ...time.Time) Dataset {
	var ds Dataset
	for i, at := range ats {
		d := deployed(int64(i+1), "s", at)
		d.Production = true
		ds.Deployments = append(ds.Deployments, d)
	}
	return ds
}

func TestWeeklyInNewYorkAcrossDST(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	rules := DefaultRules()
	rules.Location = ny
	// Sunday 9 March 23:30 EDT (Mon 03:30 UTC) belongs to the week of 3 March;
	// Monday 10 March 00:30 EDT (04:30 UTC) to the week of 10 March. In UTC
	// both are Monday 10 March.
	ds := productionAt(time.Date(2025, 3, 9, 23, 30, 0, 0, ny), time.Date(2025, 3, 10, 0, 30, 0, 0, ny))
	w := Window{From: time.Date(2025, 3, 3, 0, 0, 0, 0, ny), To: time.Date(2025, 3, 17, 0, 0, 0, 0, ny)}
	weeks := weeklyBoth(t, ds, w, rules, w.To)
	if len(weeks) != 2 {
		t.Fatalf("got %d weeks, want 2", len(weeks))
	}
	for i, want := range []struct {
		start    time.Time
		from, to string
	}{
		{time.Date(2025, 3, 3, 0, 0, 0, 0, ny), "2025-03-03", "2025-03-10"},
		{time.Date(2025, 3, 10, 0, 0, 0, 0, ny), "2025-03-10", "2025-03-17"},
	} {
		wk := weeks[i]
		if !wk.Start.Equal(want.start) || wk.Report.Scope.From != want.from || wk.Report.Scope.To != want.to || wk.Report.Scope.Timezone != "America/New_York" {
			t.Errorf("week %d: start %v scope %+v", i, wk.Start, wk.Report.Scope)
		}
		if n := wk.Report.DeploymentFrequency.Deployments; n != 1 {
			t.Errorf("week %d: %d deployments, want 1", i, n)
		}
		// One deployment in a 7-calendar-day week (167 hours long): 1 a week.
		checkFloat(t, "per week", wk.Report.DeploymentFrequency.PerWeek, f(1))
	}
	// Read in UTC the same rows fall in one week.
	utc := weeklyBoth(t, ds, Window{From: time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 3, 17, 0, 0, 0, 0, time.UTC)}, DefaultRules(), w.To)
	if len(utc) != 1 || utc[0].Report.DeploymentFrequency.Deployments != 2 {
		t.Errorf("in UTC: %+v", utc)
	}
	// Over both weeks: 2 deploy days (Sunday and Monday, local) but one in
	// each week → weekly median 1.
	df := computeBoth(t, ds, w, rules, w.To).DeploymentFrequency
	checkFloat(t, "deploy days per week", df.DeployDaysPerWeekMedian, f(1))
}

func TestWeeklyInKolkata(t *testing.T) {
	ist := mustLoad(t, "Asia/Kolkata")
	rules := DefaultRules()
	rules.Location = ist
	// Sunday 9 March 23:30 IST = 18:00 UTC: the previous week.
	// Monday 10 March 02:00 IST = Sunday 20:30 UTC: the new week in Kolkata
	// (and the previous one in UTC).
	ds := productionAt(time.Date(2025, 3, 9, 23, 30, 0, 0, ist), time.Date(2025, 3, 10, 2, 0, 0, 0, ist))
	w := Window{From: time.Date(2025, 3, 3, 0, 0, 0, 0, ist), To: time.Date(2025, 3, 17, 0, 0, 0, 0, ist)}
	weeks := weeklyBoth(t, ds, w, rules, w.To)
	if len(weeks) != 2 || weeks[0].Report.DeploymentFrequency.Deployments != 1 || weeks[1].Report.DeploymentFrequency.Deployments != 1 {
		t.Fatalf("weeks = %+v", weeks)
	}
	rows := DeployDaysPerWeek(ds, w, rules)
	if len(rows) != 2 || rows[0].Days != 1 || rows[1].Days != 1 {
		t.Errorf("deploy days per week = %+v", rows)
	}
	utcRows := DeployDaysPerWeek(ds, Window{From: t0, To: t0.AddDate(0, 0, 7)}, DefaultRules())
	if len(utcRows) != 1 || utcRows[0].Days != 1 {
		t.Errorf("in UTC both are on Sunday 9 March: %+v", utcRows)
	}
}

func TestFourWeekBlocksWhenNoWholeMonth(t *testing.T) {
	// Six weeks, Mon 13 Jan – Mon 24 Feb 2025: no whole month inside, so the
	// monthly rule uses 4-week blocks from 13 Jan: [13 Jan, 10 Feb) only. One
	// deployment on 20 Jan: weekly [0 1 0 0 0 0] → median 0; the block has 1
	// deploy day → median 1 → medium.
	w := Window{From: time.Date(2025, 1, 13, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 2, 24, 0, 0, 0, 0, time.UTC)}
	ds := productionAt(time.Date(2025, 1, 20, 12, 0, 0, 0, time.UTC))
	df := computeBoth(t, ds, w, DefaultRules(), w.To).DeploymentFrequency
	checkFloat(t, "weekly", df.DeployDaysPerWeekMedian, f(0))
	checkFloat(t, "monthly", df.DeployDaysPerMonthMedian, f(1))
	if str(df.Tier) != TierMedium {
		t.Errorf("tier %s, want medium", str(df.Tier))
	}
	if rows := DeployDaysPerMonth(ds, w, DefaultRules()); len(rows) != 1 || !rows[0].Period.To.Equal(time.Date(2025, 2, 10, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("blocks = %+v", rows)
	}
}

// A window that does not start or end on a Monday keeps its part weeks in
// the weekly series: a deployment on its first or last day is in a week,
// so the weeks add up to the window.
func TestWeeklyKeepsPartWeeks(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	// Sun 1 Nov to Tue 1 Dec: a deployment on Sunday 1 November, one on
	// Monday 30 November (the last, part week), one in between.
	ds := productionAt(day(1, 10), day(18, 9), day(30, 12))
	w := Window{From: day(1, 0), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	weeks := weeklyBoth(t, ds, w, DefaultRules(), w.To)
	if len(weeks) != 6 {
		t.Fatalf("%d weeks, want 6 (1 Nov, four whole weeks, 30 Nov)", len(weeks))
	}
	first, last := weeks[0], weeks[5]
	if !first.Partial || !first.Start.Equal(w.From) || !first.End.Equal(day(2, 0)) || first.Report.DeploymentFrequency.Deployments != 1 {
		t.Errorf("first week %v–%v partial %t: %d deployments", first.Start, first.End, first.Partial, first.Report.DeploymentFrequency.Deployments)
	}
	if !last.Partial || !last.Start.Equal(day(30, 0)) || !last.End.Equal(w.To) || last.Report.DeploymentFrequency.Deployments != 1 {
		t.Errorf("last week %v–%v partial %t: %d deployments", last.Start, last.End, last.Partial, last.Report.DeploymentFrequency.Deployments)
	}
	total := 0
	for _, wk := range weeks[1:5] {
		if wk.Partial {
			t.Errorf("week of %v is whole but marked partial", wk.Start)
		}
		total += wk.Report.DeploymentFrequency.Deployments
	}
	if total+2 != 3 {
		t.Errorf("the weeks hold %d deployments, the window 3", total+2)
	}
}
