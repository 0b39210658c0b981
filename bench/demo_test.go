package bench

import (
	"fmt"
	"testing"

	"github.com/tach-dev/tach/store"
)

// benchDemo generates (or reuses) the demo at every scale and records how
// fast `tach demo` wrote it: the rows per second of the generation (rows
// written through the store's bulk inserts), and the derive step after it
// (derived columns and rollups, one repo at a time).
func benchDemo(b *testing.B, e *env) {
	for _, scale := range e.scales {
		d := e.dataset(b, scale)
		note := "generated in this run"
		if d.Reused {
			note = fmt.Sprintf("cached, generated %s", d.GeneratedAt.Format("2006-01-02 15:04"))
		}
		record("demo", fmt.Sprintf("tach demo --scale %d", scale),
			fmt.Sprintf("%.0f rows/s written (%d rows in %.1f s), derive %.1f s, %.1f s in all", float64(d.Rows)/d.GenSeconds, d.Rows, d.GenSeconds, d.DeriveSecs, d.Seconds),
			"", "", note)
		record("demo", fmt.Sprintf("  size and peak memory at %d", scale),
			fmt.Sprintf("%.0f MB on disk, %.0f MB peak RSS", float64(d.SizeBytes)/1e6, float64(d.PeakRSSKB)/1024), "", "", d.Summary)
		if e.pg == "" {
			continue
		}
		// The store-dependent parts read the demo's copy in PostgreSQL.
		db := e.storeDB(b, d)
		c := e.pgCopy(b, d)
		note = "copied in this run"
		if c.Reused {
			note = fmt.Sprintf("copied %s, reused", c.CopiedAt.Format("2006-01-02 15:04"))
		}
		rate := 0.0
		if c.Seconds > 0 {
			rate = float64(c.Rows) / c.Seconds
		}
		tableMu.Lock()
		table = append(table, row{Section: "demo", Engine: enginePostgres, Figure: fmt.Sprintf("  tach copy --replace into PostgreSQL at %d", scale),
			Value: fmt.Sprintf("%d rows in %.0f s (%.0f rows/s)", c.Rows, c.Seconds, rate), Note: note + "; " + store.RedactURL(db)})
		tableMu.Unlock()
	}
}
