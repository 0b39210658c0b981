package web

import "testing"

// A cell a spreadsheet would run as a formula is text once exported; a
// number, negative too, stays a number.
func TestCSVCellsAreNotFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://evil\",\"x\")": "'=HYPERLINK(\"http://evil\",\"x\")",
		"+cmd|' /C calc'!A0":                "'+cmd|' /C calc'!A0",
		"-2+3+cmd|' /C calc'!A0":            "'-2+3+cmd|' /C calc'!A0",
		"@SUM(1+1)":                         "'@SUM(1+1)",
		"\tTAB":                             "'\tTAB",
		"-135688.5":                         "-135688.5",
		"+7":                                "+7",
		"Fix = in totals":                   "Fix = in totals",
		"":                                  "",
	} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
