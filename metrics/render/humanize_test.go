package render

import "testing"

func TestHumanDuration(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		in   *float64
		want string
	}{
		{nil, "–"},
		{f(0), "0s"},
		{f(45), "45s"},
		{f(90), "2m"},
		{f(3600), "1h"},
		{f(12000), "3h 20m"},
		{f(86399), "1.0 d"},
		{f(2.4 * 86400), "2.4 d"},
		{f(-7200), "−2h"},
	}
	for _, c := range cases {
		if got := HumanDuration(c.in); got != c.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := HumanPercent(f(0.0714)); got != "7.1 %" {
		t.Errorf("HumanPercent = %q", got)
	}
	if got := HumanPercent(nil); got != "–" {
		t.Errorf("HumanPercent(nil) = %q", got)
	}
}

func TestHumanNumber(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	merged, days := 29.0, 7.0 // a week's rate of whole changes: 29.000000000000004
	for in, want := range map[*float64]string{
		nil:                  "–",
		f(40):                "40",
		f(merged / days * 7): "29",
		f(28.96):             "29",
		f(3.5):               "3.5",
		f(30.75):             "30.8",
		f(0.04):              "0",
	} {
		if got := HumanNumber(in); got != want {
			t.Errorf("HumanNumber(%v) = %q, want %q", in, got, want)
		}
	}
}
