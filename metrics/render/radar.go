package render

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/radar"
	"github.com/tach-dev/tach/metrics/review"
)

// The refactor radar's words: `tach report radar`, /radar and the weekly
// review's new signals.

// RadarMeasureName names a radar measure: Review time, CI duration.
func RadarMeasureName(key string) string {
	switch key {
	case metrics.KeyLeadTime:
		return "Lead time"
	case radar.KeyCodingTime:
		return "Coding time"
	case radar.KeyPickupTime:
		return "Pickup time"
	case radar.KeyReviewTime:
		return "Review time"
	case metrics.KeyCI:
		return "CI duration"
	case metrics.KeyPRSize:
		return "PR size"
	case metrics.KeyChangeFailureRate:
		return "Change failure rate"
	case metrics.KeyReworkRate:
		return "Rework rate"
	}
	return key
}

// RadarUnit is the unit of a radar measure's values (as FormatMeasureValue
// reads it).
func RadarUnit(key string) string {
	switch key {
	case metrics.KeyPRSize:
		return "lines"
	case metrics.KeyChangeFailureRate, metrics.KeyReworkRate:
		return "share"
	}
	return "seconds"
}

// RadarScopeName names a ranked scope: acme/shop:checkout, or acme/api
// for a repo without modules.
func RadarScopeName(s radar.ScopeReport) string {
	if s.Module == nil {
		return s.Repo
	}
	return s.Repo + ":" + *s.Module
}

// RadarSlope shows a signal's slope per week in its unit: +1h 30m a week,
// +12 lines a week, +2.1 points a week.
func RadarSlope(s radar.SignalReport) string {
	v := s.SlopePerWeek
	return FormatMeasureDifference(RadarUnit(s.Measure), &v) + " a week"
}

// RadarSignal is one signal in a sentence: review time worsening, +1h 30m
// a week (q = 0.004, 12 weeks).
func RadarSignal(s radar.SignalReport) string {
	name := RadarMeasureName(s.Measure)
	if name != "CI duration" && name != "PR size" {
		name = strings.ToLower(name)
	}
	return fmt.Sprintf("%s %s, %s (q %s, %d weeks)", name, s.Direction, RadarSlope(s),
		strings.TrimPrefix(FormatP(&s.QValue), "p "), s.Weeks)
}

// RadarShare shows a cross-module share: 31 % (– for none).
func RadarShare(v *float64) string {
	if v == nil {
		return Dash
	}
	return strconv.FormatFloat(math.Round(*v*100), 'f', 0, 64) + " %"
}

func radarTitle(r radar.Report) string {
	what := "all repos"
	names := append(append([]string{}, r.Scope.Repos...), r.Scope.Modules...)
	switch {
	case r.Scope.Team != nil:
		what = "team " + *r.Scope.Team
	case len(names) > 0 && len(names) <= 3:
		what = strings.Join(names, ", ")
	case len(names) > 3:
		what = fmt.Sprintf("%d repos and modules", len(names))
	}
	return fmt.Sprintf("%s, %d weeks from %s to %s (%s)", what, r.Scope.Weeks, r.Scope.From, r.Scope.To, r.Scope.Timezone)
}

// radarShown is how many scopes the text lists in full: the rest are
// counted.
const radarShown = 10

// RadarText writes a radar for a terminal: `tach report radar`.
func RadarText(w io.Writer, r radar.Report) error {
	fmt.Fprintf(w, "tach radar — %s\n\n", radarTitle(r))
	worsening := r.Signals(radar.Worsening)
	fmt.Fprintf(w, "%d worsening and %d improving signals across %d tests (Benjamini–Hochberg, q < %.2f).\n\n",
		worsening, r.Signals(radar.Improving), r.Tests, radar.Alpha)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tSCOPE\tWORSENING\tCROSS-MODULE\tCHANGES\tSIGNALS")
	for i, s := range r.Modules {
		if i == radarShown {
			break
		}
		signals := make([]string, len(s.Signals))
		for j, sig := range s.Signals {
			signals[j] = RadarSignal(sig)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%d\t%s\n", s.Rank, RadarScopeName(s), s.Worsening, RadarShare(s.CrossModuleShare), s.Changes,
			orDash(strings.Join(signals, "; ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n := len(r.Modules) - radarShown; n > 0 {
		fmt.Fprintf(w, "… and %d more scopes (--format json lists every one).\n", n)
	}
	for i, s := range r.Modules {
		if i == 3 || (s.Worsening == 0 && i > 0) {
			break
		}
		if len(s.Hotspots) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nHotspots of %s:\n", RadarScopeName(s))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PATH\tCHANGES\tFIXES\tINCIDENTS\tSCORE")
		for _, h := range s.Hotspots {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", h.Path, h.Changes, h.FixChanges, h.Incidents, h.Score)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Coupling) > 0 {
		fmt.Fprintln(w, "\nModules that change together:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "REPO\tMODULES\tCHANGES")
		for _, p := range r.Coupling {
			fmt.Fprintf(tw, "%s\t%s + %s\t%d\n", p.Repo, p.A, p.B, p.Changes)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, "\nA signal is a Mann–Kendall trend of weekly values whose Benjamini–Hochberg q is below 0.05; hotspot score = changes × (1 + fixes). Every rule is in docs/metrics.md.")
	return err
}

// RadarMarkdown writes a radar as Markdown.
func RadarMarkdown(w io.Writer, r radar.Report) error {
	fmt.Fprintf(w, "# Refactor radar — %s\n\n", MarkdownText(radarTitle(r)))
	fmt.Fprintf(w, "%d worsening and %d improving signals across %d tests (Benjamini–Hochberg, q < %.2f).\n\n",
		r.Signals(radar.Worsening), r.Signals(radar.Improving), r.Tests, radar.Alpha)
	fmt.Fprintln(w, "| Rank | Scope | Worsening | Cross-module | Changes | Signals |")
	fmt.Fprintln(w, "|---:|---|---:|---:|---:|---|")
	for i, s := range r.Modules {
		if i == radarShown {
			break
		}
		signals := make([]string, len(s.Signals))
		for j, sig := range s.Signals {
			signals[j] = MarkdownText(RadarSignal(sig))
		}
		fmt.Fprintf(w, "| %d | %s | %d | %s | %d | %s |\n", s.Rank, MarkdownCode(RadarScopeName(s)), s.Worsening, RadarShare(s.CrossModuleShare),
			s.Changes, orDash(strings.Join(signals, "; ")))
	}
	if n := len(r.Modules) - radarShown; n > 0 {
		fmt.Fprintf(w, "\n… and %d more scopes.\n", n)
	}
	for i, s := range r.Modules {
		if i == 3 || (s.Worsening == 0 && i > 0) {
			break
		}
		if len(s.Hotspots) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n## Hotspots of %s\n\n| Path | Changes | Fixes | Incidents | Score |\n|---|---:|---:|---:|---:|\n", MarkdownCode(RadarScopeName(s)))
		for _, h := range s.Hotspots {
			path := MarkdownCode(h.Path)
			if h.URL != "" {
				path = MarkdownLink(h.Path, h.URL)
			}
			fmt.Fprintf(w, "| %s | %d | %d | %d | %d |\n", path, h.Changes, h.FixChanges, h.Incidents, h.Score)
		}
	}
	if len(r.Coupling) > 0 {
		fmt.Fprintln(w, "\n## Modules that change together\n\n| Repo | Modules | Changes |\n|---|---|---:|")
		for _, p := range r.Coupling {
			fmt.Fprintf(w, "| %s | %s + %s | %d |\n", MarkdownCode(p.Repo), MarkdownCode(p.A), MarkdownCode(p.B), p.Changes)
		}
	}
	_, err := fmt.Fprintln(w, "\nA signal is a Mann–Kendall trend of weekly values whose Benjamini–Hochberg q is below 0.05; hotspot score = changes × (1 + fixes). Every rule is in docs/metrics.md.")
	return err
}

func orDash(s string) string {
	if s == "" {
		return Dash
	}
	return s
}

// RadarReviewSignal is a new signal of the weekly review in a line:
// acme/shop:search: review time worsening, +4h 24m a week (q = 0.002, 11 weeks).
func RadarReviewSignal(s review.RadarSignal) string {
	scope := s.Repo
	if s.Module != nil {
		scope += ":" + *s.Module
	}
	return scope + ": " + RadarSignal(radar.SignalReport{Measure: s.Measure, Direction: radar.Direction(s.Direction),
		SlopePerWeek: s.SlopePerWeek, QValue: s.QValue, Weeks: s.Weeks})
}
