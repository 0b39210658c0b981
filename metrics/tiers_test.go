package metrics

import (
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics/stats"
)

func TestDurationTierBoundaries(t *testing.T) {
	const (
		d  = 86400.0
		wk = 7 * d
	)
	tests := []struct {
		name    string
		fn      func(*float64) *string
		seconds *float64
		want    string
	}{
		{"lead: none", LeadTimeTier, nil, "nil"},
		{"lead: 0", LeadTimeTier, f(0), TierElite},
		{"lead: just under a day", LeadTimeTier, f(d - 1), TierElite},
		{"lead: a day is high", LeadTimeTier, f(d), TierHigh},
		{"lead: just under a week", LeadTimeTier, f(wk - 1), TierHigh},
		{"lead: a week is medium", LeadTimeTier, f(wk), TierMedium},
		{"lead: just under 30 days", LeadTimeTier, f(30*d - 1), TierMedium},
		{"lead: 30 days is low", LeadTimeTier, f(30 * d), TierLow},
		{"recovery: none", RecoveryTimeTier, nil, "nil"},
		{"recovery: just under an hour", RecoveryTimeTier, f(3599), TierElite},
		{"recovery: an hour is high", RecoveryTimeTier, f(3600), TierHigh},
		{"recovery: just under a day", RecoveryTimeTier, f(d - 1), TierHigh},
		{"recovery: a day is medium", RecoveryTimeTier, f(d), TierMedium},
		{"recovery: just under a week", RecoveryTimeTier, f(wk - 1), TierMedium},
		{"recovery: a week is low", RecoveryTimeTier, f(wk), TierLow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := str(tt.fn(tt.seconds)); got != tt.want {
				t.Errorf("tier = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestChangeFailureRateTierBoundaries(t *testing.T) {
	rate := func(failed, deployments int) *float64 { return stats.RateOrNil(failed, deployments) }
	tests := []struct {
		rate *float64
		want string
	}{
		{nil, "nil"},
		{f(0), TierElite},
		{f(0.05), TierElite},
		{rate(1, 20), TierElite}, // exactly 5 %, computed as the report does
		{rate(5, 100), TierElite},
		{f(0.0500001), TierHigh},
		{rate(1, 19), TierHigh},
		{f(0.10), TierHigh},
		{rate(2, 20), TierHigh},
		{rate(7, 70), TierHigh},
		{f(0.1000001), TierMedium},
		{f(0.15), TierMedium},
		{rate(3, 20), TierMedium},
		{rate(15, 100), TierMedium},
		{f(0.1500001), TierLow},
		{f(1), TierLow},
	}
	for _, tt := range tests {
		if got := str(ChangeFailureRateTier(tt.rate)); got != tt.want {
			t.Errorf("ChangeFailureRateTier(%v) = %s, want %s", show(tt.rate), got, tt.want)
		}
	}
}

func TestDeploymentFrequencyTierBoundaries(t *testing.T) {
	tests := []struct {
		weekly, monthly *float64
		want            string
	}{
		{nil, nil, "nil"},
		{nil, f(3), "nil"},
		{f(5), nil, TierElite},
		{f(7), f(20), TierElite},
		{f(4.5), f(20), TierHigh},
		{f(1), nil, TierHigh},
		{f(0.5), f(1), TierMedium},
		{f(0), f(1.5), TierMedium},
		{f(0.5), f(0.5), TierLow},
		{f(0), f(0), TierLow},
		{f(0), nil, "nil"}, // only the monthly rule could decide, and there is no month
	}
	for _, tt := range tests {
		if got := str(DeploymentFrequencyTier(tt.weekly, tt.monthly)); got != tt.want {
			t.Errorf("DeploymentFrequencyTier(%v, %v) = %s, want %s", show(tt.weekly), show(tt.monthly), got, tt.want)
		}
	}
}

func TestTierTables(t *testing.T) {
	for _, name := range []string{"deployment_frequency", "lead_time", "change_failure_rate", "recovery_time"} {
		rows := TierTables[name]
		if len(rows) != 4 || rows[0].Tier != TierElite || rows[1].Tier != TierHigh || rows[2].Tier != TierMedium || rows[3].Tier != TierLow {
			t.Errorf("TierTables[%q] = %v", name, rows)
		}
	}
	if _, ok := TierTables["rework_rate"]; ok {
		t.Error("rework rate has no tier")
	}
}

// The deployment-frequency tier over a 12-week window, Mon 30 Dec 2024 –
// Mon 24 Mar 2025 (UTC): the calendar months wholly inside are January and
// February (March ends after the window).
func TestDeploymentFrequencyMonthlyRule(t *testing.T) {
	w := Window{From: time.Date(2024, 12, 30, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 3, 24, 0, 0, 0, 0, time.UTC)}
	day := func(m time.Month, d, h int) time.Time { return time.Date(2025, m, d, h, 0, 0, 0, time.UTC) }
	everyWeek := func(weekday int, perDay int) []time.Time { // weekday 0 = Monday
		var out []time.Time
		for wk := range 12 {
			for i := range perDay {
				out = append(out, w.From.AddDate(0, 0, 7*wk+weekday).Add(time.Duration(9+i)*time.Hour))
			}
		}
		return out
	}
	var weekdays []time.Time
	for d := range 5 {
		weekdays = append(weekdays, everyWeek(d, 1)...)
	}
	tests := []struct {
		name            string
		at              []time.Time
		weekly, monthly *float64
		tier            string
	}{
		// Every weekday: 5 days each week; January 2025 has 23 weekdays and
		// February 20 → monthly median 21.5.
		{"elite", weekdays, f(5), f(21.5), TierElite},
		// Three deployments every Monday: one deploy day a week; 4 Mondays
		// in January (6–27) and in February (3–24).
		{"high: distinct days, not deployments", everyWeek(0, 3), f(1), f(4), TierHigh},
		// 10 Jan and 12 Feb: weekly [1 1 0 …] median 0; monthly [1 1] → medium.
		{"medium by the monthly rule", []time.Time{day(1, 10, 9), day(2, 12, 9)}, f(0), f(1), TierMedium},
		// 10 Jan and 5 Mar: March is not wholly inside → monthly [1 0] = 0.5.
		{"low: a partial month does not count", []time.Time{day(1, 10, 9), day(3, 5, 9)}, f(0), f(0.5), TierLow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ds Dataset
			for i, at := range tt.at {
				d := deployed(int64(i+1), "s", at)
				d.Production = true
				ds.Deployments = append(ds.Deployments, d)
			}
			df := computeBoth(t, ds, w, DefaultRules(), w.To).DeploymentFrequency
			checkFloat(t, "weekly median", df.DeployDaysPerWeekMedian, tt.weekly)
			checkFloat(t, "monthly median", df.DeployDaysPerMonthMedian, tt.monthly)
			if str(df.Tier) != tt.tier {
				t.Errorf("tier %s, want %s", str(df.Tier), tt.tier)
			}
			checkFloat(t, "per week", df.PerWeek, f(float64(len(tt.at))/84*7))
		})
	}
}
