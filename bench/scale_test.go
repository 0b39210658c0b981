// Package bench measures tach at the scale of an organisation — up to
// 1,000 repos and 1,000,000 changes — against the machine's limits, and
// prints one table. docs/performance.md (## Scale) explains each figure.
//
//	go test ./bench -run '^$' -bench Scale -benchtime 1x -timeout 3h
//
// Generating the large demos is slow, so they are kept under
// $TACH_BENCH_CACHE (default .cache/bench at the repository's root), keyed
// by the sources that shape them, and reused while those do not change.
// One of a million changes or more made by other sources is kept until
// TACH_BENCH_STALE says: =use measures on it, =replace makes it anew.
// TACH_BENCH_WEB_DB (with TACH_BENCH_WEB_END, its demo's end) serves a
// database already made to the web part instead.
// TACH_BENCH_SCALES picks the demo sizes (default 10000,100000,1000000; the
// figures with a target are taken at the largest), TACH_BENCH_LOAD the
// seconds of each web load phase (default 20), TACH_BENCH_SYNC_PRS the pull
// request counts of the sync memory runs (default 10000,30000,100000).
// TACH_BENCH_DB=postgres://… runs the parts that use the store on
// PostgreSQL (postgres_test.go) and compares the table with SQLite's
// (compare_test.go). Nothing here runs under plain `go test`: only with
// -bench.
package bench

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
)

// row is one line of the table.
type row struct {
	Section, Figure, Value, Target, Verdict, Note string
	// Engine is the store the figure was measured on (SQLite or
	// PostgreSQL), "" for the machine.
	Engine string
	// Num is the figure as a number, for the comparison of the engines
	// (compare_test.go): seconds, MB or rows/s; 0 when it has none.
	// HigherIsBetter says which way it is good.
	Num            float64 `json:",omitempty"`
	HigherIsBetter bool    `json:",omitempty"`
}

var (
	tableMu sync.Mutex
	table   []row
)

// record adds a line to the table. verdict is "met", "missed" or "" (no
// target).
func record(section, figure, value, target, verdict, note string) {
	recordNum(section, figure, value, target, verdict, note, 0, false)
}

// recordNum is record for a figure the engines are compared on: num is
// its value (seconds, MB, rows/s), higher says more is better.
func recordNum(section, figure, value, target, verdict, note string, num float64, higher bool) {
	tableMu.Lock()
	defer tableMu.Unlock()
	table = append(table, row{Section: section, Figure: figure, Value: value, Target: target, Verdict: verdict, Note: note,
		Engine: sectionEngine(section), Num: num, HigherIsBetter: higher})
}

// sectionEngine is the store a section's figures were measured on: the
// demos are generated into SQLite, and the sync writes a SQLite file, on
// either engine; ingest, reports and the web use the run's store.
func sectionEngine(section string) string {
	switch section {
	case "machine":
		return ""
	case "demo", "sync":
		return engineSQLite
	}
	return engineName
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func TestMain(m *testing.M) {
	code := m.Run()
	if len(table) > 0 {
		printTable()
		saveAndCompare()
	}
	os.Exit(code)
}

func printTable() {
	order := map[string]int{"machine": 0, "demo": 1, "ingest": 2, "reports": 3, "growth": 4, "web": 5, "sync": 6}
	sort.SliceStable(table, func(i, j int) bool { return order[table[i].Section] < order[table[j].Section] })
	fmt.Println()
	fmt.Printf("tach at scale on %s (docs/performance.md, ## Scale)\n", engineName)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SECTION\tENGINE\tFIGURE\tVALUE\tTARGET\t\tNOTE")
	for _, r := range table {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Section, r.Engine, r.Figure, r.Value, r.Target, r.Verdict, r.Note)
	}
	tw.Flush()
	missed := 0
	for _, r := range table {
		if r.Verdict == "MISSED" {
			missed++
		}
	}
	fmt.Printf("%d figures, %d with a target missed\n", len(table), missed)
}

// BenchmarkScale runs every measurement once: the demo datasets, ingest,
// reports, the web under load and sync. Run a part alone with
// -bench 'Scale/web' and the like.
func BenchmarkScale(b *testing.B) {
	env := newEnv(b)
	record("machine", "machine", env.machine, "", "", "")
	b.Run("demo", func(b *testing.B) { benchDemo(b, env) })
	b.Run("ingest", func(b *testing.B) { benchIngest(b, env) })
	b.Run("reports", func(b *testing.B) { benchReports(b, env) })
	b.Run("web", func(b *testing.B) { benchWeb(b, env) })
	b.Run("sync", func(b *testing.B) { benchSync(b, env) })
}

func ms(seconds float64) string { return fmt.Sprintf("%.0f ms", seconds*1000) }

func join(xs []string) string { return strings.Join(xs, ", ") }
