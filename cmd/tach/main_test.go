package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/demo"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
)

// demoDB is a demo database written once for the package's tests; its data
// ends on demoEnd, so fixed windows give fixed numbers.
var (
	demoDB  string
	demoEnd = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tach-cmd-test")
	if err != nil {
		panic(err)
	}
	demoDB = filepath.Join(dir, "demo.db")
	ctx := context.Background()
	st, err := store.Open(ctx, demoDB)
	if err != nil {
		panic(err)
	}
	if _, err := demo.Generate(ctx, st, demo.Options{End: demoEnd}); err != nil {
		panic(err)
	}
	if err := engine.NewDeriver(st, metrics.DefaultRules(), demoRepoRules()).Derive(ctx); err != nil {
		panic(err)
	}
	st.Close()
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tach runs one command line and returns its exit status, stdout and stderr.
func tach(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), &cli{stdout: &out, stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

func TestReportMetricsJSONHasEveryField(t *testing.T) {
	code, out, errOut := tach(t, "report", "metrics", "--db", demoDB, "--from", "2026-08-31", "--to", "2026-11-23", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	// The contract: every one of these is present and, for the demo
	// organisation, not null.
	want := map[string][]string{
		"deployment_frequency": {"deployments", "per_week", "deploy_days_per_week_median", "tier", "failed_attempts"},
		"lead_time":            {"count", "median_seconds", "p75_seconds", "p90_seconds", "mean_seconds", "tier"},
		"change_failure_rate":  {"failed", "deployments", "rate", "tier"},
		"recovery_time":        {"count", "median_seconds", "p75_seconds", "p90_seconds", "tier", "open_incidents"},
		"time_to_restore":      {"count", "median_seconds"},
		"rework_rate":          {"rework", "deployments", "rate"},
		"throughput":           {"merged", "per_week"},
		"pr_size":              {"count", "median_lines", "p75_lines"},
		"ci":                   {"runs", "median_seconds", "p90_seconds", "success_rate"},
	}
	for section, fields := range want {
		obj, ok := doc[section].(map[string]any)
		if !ok {
			t.Errorf("%s missing", section)
			continue
		}
		for _, f := range fields {
			if v, ok := obj[f]; !ok || v == nil {
				t.Errorf("%s.%s = %v, want a value", section, f, v)
			}
		}
	}
	for _, part := range []string{"coding", "pickup", "review", "deploy"} {
		p := doc["cycle_time"].(map[string]any)[part].(map[string]any)
		if p["median_seconds"] == nil || p["p75_seconds"] == nil {
			t.Errorf("cycle_time.%s = %v", part, p)
		}
	}
	scope := doc["scope"].(map[string]any)
	if scope["from"] != "2026-08-31" || scope["to"] != "2026-11-23" || scope["timezone"] != "UTC" || scope["team"] != nil {
		t.Errorf("scope = %v", scope)
	}
	if n := doc["recovery_time"].(map[string]any)["open_incidents"]; n != float64(1) {
		t.Errorf("open_incidents = %v, want the demo's one open incident", n)
	}
}

func TestReportMetricsIsStable(t *testing.T) {
	args := []string{"report", "metrics", "--db", demoDB, "--from", "2026-08-31", "--to", "2026-11-23", "--format", "json"}
	_, first, _ := tach(t, args...)
	_, second, _ := tach(t, args...)
	if first != second {
		t.Fatal("two runs of the same report differ")
	}
}

func TestReportMetricsScopes(t *testing.T) {
	window := []string{"--from", "2026-08-31", "--to", "2026-11-23", "--format", "json"}
	deployments := func(args ...string) float64 {
		t.Helper()
		code, out, errOut := tach(t, append(append([]string{"report", "metrics", "--db", demoDB}, args...), window...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var r metrics.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return float64(r.DeploymentFrequency.Deployments)
	}
	all := deployments()
	checkout := deployments("--team", "checkout")
	platform := deployments("--team", "platform")
	if checkout == 0 || platform == 0 || checkout+platform != all {
		t.Errorf("deployments: all %v, checkout %v + platform %v", all, checkout, platform)
	}
	one := deployments("--repo", "acme/payments")
	two := deployments("--repo", "acme/payments", "--repo", "acme/web")
	if one == 0 || two <= one {
		t.Errorf("deployments: payments %v, payments+web %v", one, two)
	}
}

func TestReportFormats(t *testing.T) {
	for _, f := range []string{"text", "markdown"} {
		code, out, errOut := tach(t, "report", "metrics", "--db", demoDB, "--from", "2026-08-31", "--to", "2026-11-23", "--format", f)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", f, code, errOut)
		}
		for _, want := range []string{"Deployment frequency", "Lead time for changes", "Change failure rate", "Rework rate", "elite"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s output lacks %q:\n%s", f, want, out)
			}
		}
	}
}

func TestBadInputIsOneLineAndNonZero(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknownKey := write("unknown.yaml", "databse: x.db\nrepos:\n  - github: acme/api\n")
	malformed := write("malformed.yaml", "repos: [\n")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad month", []string{"report", "metrics", "--db", demoDB, "--from", "2026-13-01"}, 2, `--from "2026-13-01" is not a date: month out of range`},
		{"bad day", []string{"report", "metrics", "--db", demoDB, "--to", "2026-02-30"}, 2, "day out of range"},
		{"empty window", []string{"report", "metrics", "--db", demoDB, "--from", "2026-10-01", "--to", "2026-09-01"}, 2, "the window is empty"},
		{"missing database", []string{"report", "metrics", "--db", filepath.Join(dir, "none.db")}, 1, "does not exist"},
		{"unknown key", []string{"report", "metrics", "--config", unknownKey}, 1, `unknown.yaml:1: unknown key "databse" (did you mean "database"?)`},
		{"malformed config", []string{"report", "metrics", "--config", malformed}, 1, "malformed.yaml:"},
		{"unknown repo", []string{"report", "metrics", "--db", demoDB, "--repo", "acme/nope"}, 1, `repo "acme/nope" is not in the database`},
		{"unknown team", []string{"report", "metrics", "--db", demoDB, "--team", "nope"}, 1, `team "nope" is not configured`},
		{"bad format", []string{"report", "metrics", "--db", demoDB, "--format", "xml"}, 2, `--format "xml" is not one of text, json, markdown`},
		{"unknown flag", []string{"report", "metrics", "--dbb", demoDB}, 2, "flag provided but not defined: -dbb"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown report", []string{"report", "nope"}, 2, `unknown report "nope"`},
		{"demo bad listen", []string{"demo", "--no-serve", "--db", filepath.Join(dir, "d.db"), "--listen", "nonsense"}, 2, "is not host:port"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := tach(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, errOut)
			}
			if strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.HasPrefix(errOut, "tach: ") {
				t.Errorf("stderr is not one line starting with tach: %q", errOut)
			}
			if !strings.Contains(errOut, c.want) {
				t.Errorf("stderr %q lacks %q", errOut, c.want)
			}
			if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Errorf("stack trace on bad input: %s", errOut)
			}
		})
	}
}

func TestDemoRefusesToReplaceARealDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "real.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, _, errOut := tach(t, "demo", "--no-serve", "--db", path)
	if code == 0 || !strings.Contains(errOut, "not a demo") {
		t.Fatalf("exit %d, stderr %q; want a refusal", code, errOut)
	}
}

func TestVersionAndHelp(t *testing.T) {
	if code, out, _ := tach(t, "version"); code != 0 || !strings.HasPrefix(out, "tach ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, out, _ := tach(t, "help"); code != 0 || !strings.Contains(out, "report") {
		t.Errorf("help: %d %q", code, out)
	}
	if code, out, _ := tach(t, "report", "metrics", "--help"); code != 0 || !strings.Contains(out, "--format") && !strings.Contains(out, "-format") {
		t.Errorf("report metrics --help: %d %q", code, out)
	}
}
