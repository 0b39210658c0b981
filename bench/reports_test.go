package bench

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
)

// reportRuns is how many times each report runs (the median is the figure;
// the first run also warms the OS page cache).
const reportRuns = 7

// A scope and window `tach report metrics` is timed on.
type reportCase struct {
	name   string
	args   []string
	window metrics.Window
	scope  engine.Scope
	target time.Duration // 0: no target
	// inProcess: the target is for the report's own time (in a process that
	// is running already, as the server is), not for a whole `tach` run,
	// whose start alone takes about that long.
	inProcess bool
}

func reportCases(d *dataset, repo, team string, large bool) []reportCase {
	w12 := metrics.Window{From: d.End.AddDate(0, 0, -84), To: d.End}
	w3y := metrics.Window{From: d.End.AddDate(0, 0, -7*156), To: d.End}
	dates := func(w metrics.Window) []string {
		return []string{"--from", w.From.Format(time.DateOnly), "--to", w.To.Format(time.DateOnly)}
	}
	t := func(d time.Duration) time.Duration {
		if large {
			return d
		}
		return 0
	}
	// Issue 13 item 6: on PostgreSQL, the 3-year org-wide report in 5 s.
	long := time.Second
	if engineName == enginePostgres {
		long = 5 * time.Second
	}
	return []reportCase{
		{"org-wide, 12 weeks", dates(w12), w12, engine.Scope{}, t(250 * time.Millisecond), false},
		{"org-wide, 3 years", dates(w3y), w3y, engine.Scope{}, t(long), false},
		{"one repo, 12 weeks", append(dates(w12), "--repo", repo), w12, engine.Scope{Repos: []string{repo}}, t(20 * time.Millisecond), true},
		{"one team, 12 weeks", append(dates(w12), "--team", team), w12, engine.Scope{Team: team}, t(20 * time.Millisecond), true},
		{"one repo, 3 years", append(dates(w3y), "--repo", repo), w3y, engine.Scope{Repos: []string{repo}}, 0, false},
		{"one team, 3 years", append(dates(w3y), "--team", team), w3y, engine.Scope{Team: team}, 0, false},
	}
}

// benchReports times `tach report metrics --format json` (a whole process:
// start, open, resolve, read, compute, print) on the largest demo, checks
// that its JSON is the report computed from rows, and compares it with the
// floor of a report computed from rows: a bare SELECT of the columns such
// a report reads. At every scale it records the org-wide 12-week report,
// for the table of how cost grows with data.
func benchReports(b *testing.B, e *env) {
	var starts []time.Duration
	for range reportRuns {
		_, wall, _, _ := run(b, e.bin, "version")
		starts = append(starts, wall)
	}
	recordNum("reports", "a tach process that does nothing (tach version)", ms(median(starts).Seconds()), "", "",
		"the floor of any `tach report` on this machine: process start and package init", median(starts).Seconds(), false)
	for _, scale := range e.scales {
		d := e.dataset(b, scale)
		db := e.storeDB(b, d)
		large := scale == e.largest()
		repo, team := pickScope(b, d)
		for _, rc := range reportCases(d, repo, team, large) {
			if !large && rc.name != "org-wide, 12 weeks" && rc.name != "org-wide, 3 years" {
				continue
			}
			args := append([]string{"report", "metrics", "--db", db, "--format", "json"}, rc.args...)
			var walls, cpus []time.Duration
			var out []byte
			var rss int64
			for range reportRuns {
				o, wall, cpu, maxRSS := run(b, e.bin, args...)
				walls, cpus, out, rss = append(walls, wall), append(cpus, cpu), o, max(rss, maxRSS)
			}
			wall, cpu := median(walls), median(cpus)
			same, rowsTook, floor := checkReport(b, d, db, rc, out)
			section := "reports"
			name := fmt.Sprintf("tach report metrics: %s", rc.name)
			if !large {
				section = "growth"
				name = fmt.Sprintf("%s at %d changes", rc.name, scale)
			}
			value := fmt.Sprintf("%s (CPU %s, %.0f MB)", ms(wall.Seconds()), ms(cpu.Seconds()), float64(rss)/1024)
			target, v := "", ""
			if rc.target > 0 && !rc.inProcess {
				target, v = "≤ "+ms(rc.target.Seconds()), verdict(wall <= rc.target)
			}
			note := fmt.Sprintf("whole process, median of %d; same JSON as from rows: %s", reportRuns, same)
			if !large {
				note += fmt.Sprintf("; from rows in-process %s, bare SELECT %s", fmtDur(rowsTook), fmtDur(floor))
			}
			recordNum(section, name, value, target, v, note, wall.Seconds(), false)
			if !large {
				continue
			}
			inproc := inProcessReport(b, db, rc)
			target, v = "", ""
			if rc.target > 0 && rc.inProcess {
				target, v = "≤ "+ms(rc.target.Seconds()), verdict(inproc <= rc.target)
			}
			// The figure names the case: the in-process lines of the cases
			// are told apart in the comparison of the engines.
			recordNum(section, "  the report alone (engine.Report, in-process): "+rc.name, fmtDur(inproc), target, v,
				fmt.Sprintf("from rows (the engine before rollups): %s; floor of any report from rows (a bare SELECT of the columns it reads): %s", fmtDur(rowsTook), fmtDur(floor)),
				inproc.Seconds(), false)
		}
	}
}

// pickScope finds a repo and a team of the generated organisation to time
// (in the demo's SQLite file: a copy in PostgreSQL holds the same rows).
func pickScope(b *testing.B, d *dataset) (repo, team string) {
	db, err := sql.Open("sqlite", "file:"+d.Path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	// A busy repo and a team of average size, not Acme's.
	err = db.QueryRow(`SELECT r.name FROM repos r JOIN changes c ON c.repo_id = r.id WHERE r.name NOT LIKE 'acme%'
		GROUP BY r.id ORDER BY count(*) DESC LIMIT 1`).Scan(&repo)
	if err != nil {
		repo = "acme/catalog"
	}
	if err := db.QueryRow(`SELECT team FROM team_repos WHERE team NOT IN ('checkout', 'platform') GROUP BY team ORDER BY team LIMIT 1`).Scan(&team); err != nil {
		team = "checkout"
	}
	return repo, team
}

// run runs tach and returns its stdout, wall and CPU time, and peak RSS
// in KB. The peak is measured by /usr/bin/time when there is one: the
// rusage of a child started from this process counts this process's own
// memory (Linux keeps the larger of the two across exec).
func run(b *testing.B, bin string, args ...string) ([]byte, time.Duration, time.Duration, int64) {
	b.Helper()
	name, argv := bin, args
	var timeOut string
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		f, err := os.CreateTemp("", "tach-time-*")
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
		defer os.Remove(f.Name())
		timeOut = f.Name()
		name, argv = "/usr/bin/time", append([]string{"-o", timeOut, "-f", "%M", bin}, args...)
	}
	cmd := exec.Command(name, argv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("tach %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	wall := time.Since(start)
	var cpu time.Duration
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		rss = ru.Maxrss
	}
	if timeOut != "" {
		if body, err := os.ReadFile(timeOut); err == nil {
			fields := strings.Fields(string(body))
			if len(fields) > 0 {
				rss, _ = strconv.ParseInt(fields[len(fields)-1], 10, 64)
			}
		}
	}
	return out.Bytes(), wall, cpu, rss
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// checkReport computes the same report from rows in this process (the
// engine's Dataset and the facts of those rows, as Report did before
// rollups) and
// compares its JSON with the command's. It also times that, and the bare
// SELECT of the columns such a report reads: the floor of any report
// computed from rows. A 3-year report of the largest demo from rows needs
// gigabytes; set TACH_BENCH_VERIFY=all to check it too.
func checkReport(b *testing.B, d *dataset, database string, rc reportCase, got []byte) (same string, rowsTook, floor time.Duration) {
	ctx := context.Background()
	st, err := store.OpenExisting(ctx, database)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	reports := engine.NewReports(st, metrics.DefaultRules(), nil)
	r, err := reports.Resolve(ctx, rc.scope)
	if err != nil {
		b.Fatal(err)
	}
	floor = floorScan(b, database, r.IDs, rc.window)
	heavy := rc.scope.Team == "" && len(rc.scope.Repos) == 0 && rc.window.To.Sub(rc.window.From) > 400*24*time.Hour && d.Scale >= 500000
	if heavy && os.Getenv("TACH_BENCH_VERIFY") != "all" {
		return "not checked (TACH_BENCH_VERIFY=all)", 0, floor
	}
	start := time.Now()
	ds, err := reports.Dataset(ctx, r, rc.window)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	rep := metrics.ComputeFacts(metrics.FactsOf(ds, reports.Rules()), rc.window, reports.Rules(), now)
	rowsTook = time.Since(start)
	rep.Scope.Repos = r.Names
	if rep.Scope.Repos == nil {
		rep.Scope.Repos = []string{}
	}
	if rc.scope.Team != "" {
		team := rc.scope.Team
		rep.Scope.Team = &team
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		b.Fatal(err)
	}
	if !bytes.Equal(want.Bytes(), got) {
		b.Errorf("%s at %d: the report differs from the one computed from rows:\nrollups %s\nrows    %s", rc.name, d.Scale, got, want.Bytes())
		return "NO", rowsTook, floor
	}
	return "yes", rowsTook, floor
}

// floorScan reads, without computing anything, the columns a report from
// rows reads: changes merged or shipped in the window, deployments that
// finished in it, CI runs that finished in it. Nothing computed from rows
// can be faster.
func floorScan(b *testing.B, database string, ids []int64, w metrics.Window) time.Duration {
	db, rebind := sqlOpen(b, database)
	defer db.Close()
	in := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := func() []any {
		out := make([]any, 0, len(ids)+2)
		for _, id := range ids {
			out = append(out, id)
		}
		return append(out, w.From.Unix(), w.To.Unix())
	}
	queries := []string{
		`SELECT created_at, ready_at, first_commit_at, merged_at, first_review_at, author, author_is_bot, additions, deletions, draft, state
			FROM changes WHERE repo_id IN (` + in + `) AND merged_at >= ? AND merged_at < ?`,
		`SELECT d.finished_at, d.production, d.failed_attempt, d.failed, d.rework, c.created_at, c.first_commit_at, c.merged_at
			FROM deployments d JOIN deployment_changes dc ON dc.deployment_id = d.id JOIN changes c ON c.id = dc.change_id
			WHERE d.repo_id IN (` + in + `) AND d.finished_at >= ? AND d.finished_at < ?`,
		`SELECT started_at, finished_at, conclusion FROM ci_runs WHERE repo_id IN (` + in + `) AND finished_at >= ? AND finished_at < ?`,
	}
	best := time.Duration(1 << 62)
	for range 3 {
		start := time.Now()
		for _, q := range queries {
			rows, err := db.Query(rebind(q), args()...)
			if err != nil {
				b.Fatal(err)
			}
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					b.Fatal(err)
				}
			}
			rows.Close()
		}
		best = min(best, time.Since(start))
	}
	return best
}

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return ms(d.Seconds())
}

// inProcessReport is the median time of engine.Report in a process that
// has the database open already (the second and later runs).
func inProcessReport(b *testing.B, database string, rc reportCase) time.Duration {
	ctx := context.Background()
	st, err := store.OpenExisting(ctx, database)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	reports := engine.NewReports(st, metrics.DefaultRules(), nil)
	var times []time.Duration
	for range reportRuns {
		start := time.Now()
		if _, err := reports.Report(ctx, rc.scope, rc.window, time.Now()); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	return median(times[1:])
}
