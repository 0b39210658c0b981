package web

import "testing"

// A cell a spreadsheet would run as a formula is text once exported; a
// number, negative too, stays a number.
func TestCSVCellsAreNotFormulas(t *testing.T) {
	formulas := []string{`=HYPERLINK("http://evil","x")`, "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\tTAB", "\r=1"}
	for _, in := range formulas {
		if got := csvSafe(in); got != "'"+in {
			t.Errorf("csvSafe(%q) = %q, want it quoted", in, got)
		}
	}
	for _, in := range []string{"-135688.5", "+7", "Fix = in totals", "", "acme/web"} {
		if got := csvSafe(in); got != in {
			t.Errorf("csvSafe(%q) = %q, want it as it is", in, got)
		}
	}
}
