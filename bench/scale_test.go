// Package bench measures tach at the scale of an organisation — up to
// 1,000 repos and 1,000,000 changes — against the machine's limits, and
// prints one table. docs/performance.md (## Scale) explains each figure.
//
//	go test ./bench -run '^$' -bench Scale -benchtime 1x -timeout 3h
//
// Generating the large demos is slow, so they are kept under
// $TACH_BENCH_CACHE (default .cache/bench at the repository's root), keyed
// by the sources that shape them, and reused while those do not change.
// TACH_BENCH_SCALES picks the demo sizes (default 10000,100000,1000000; the
// figures with a target are taken at the largest), TACH_BENCH_LOAD the
// seconds of each web load phase (default 20), TACH_BENCH_SYNC_PRS the pull
// request counts of the sync memory runs (default 10000,30000,100000).
// Nothing here runs under plain `go test`: only with -bench.
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
	section, figure, value, target, verdict, note string
}

var (
	tableMu sync.Mutex
	table   []row
)

// record adds a line to the table. verdict is "met", "missed" or "" (no
// target).
func record(section, figure, value, target, verdict, note string) {
	tableMu.Lock()
	defer tableMu.Unlock()
	table = append(table, row{section, figure, value, target, verdict, note})
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
	}
	os.Exit(code)
}

func printTable() {
	order := map[string]int{"machine": 0, "demo": 1, "ingest": 2, "reports": 3, "growth": 4, "web": 5, "sync": 6}
	sort.SliceStable(table, func(i, j int) bool { return order[table[i].section] < order[table[j].section] })
	fmt.Println()
	fmt.Println("tach at scale (docs/performance.md, ## Scale)")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SECTION\tFIGURE\tVALUE\tTARGET\t\tNOTE")
	for _, r := range table {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.section, r.figure, r.value, r.target, r.verdict, r.note)
	}
	tw.Flush()
	missed := 0
	for _, r := range table {
		if r.verdict == "MISSED" {
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
