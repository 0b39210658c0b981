package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"
)

// Each run keeps its table in the cache (scale-SQLite.json,
// scale-PostgreSQL.json), merged figure by figure with the last run's of
// the same engine and largest scale (a run of one part replaces that
// part's figures). When the other engine's table at the same largest
// scale is there too, the run prints the two side by side: the ratio of
// each figure (PostgreSQL's time ÷ SQLite's, or SQLite's rate ÷
// PostgreSQL's: above 1, PostgreSQL is slower) against issue 13's target
// of 2. Run the two back to back for figures taken under the same
// conditions; each table says when it ran and the machine's load.

// runInfo is what TestMain needs of the env: set by newEnv.
var runInfo struct {
	cache, machine string
	scale          int
}

type savedTable struct {
	Engine  string    `json:"engine"`
	Scale   int       `json:"scale"`
	Machine string    `json:"machine"` // of the last run merged in, with its load
	At      time.Time `json:"at"`
	Rows    []row     `json:"rows"`
}

func savedPath(engine string) string {
	return filepath.Join(runInfo.cache, "scale-"+engine+".json")
}

func loadTable(engine string) *savedTable {
	body, err := os.ReadFile(savedPath(engine))
	if err != nil {
		return nil
	}
	var t savedTable
	if json.Unmarshal(body, &t) != nil || t.Scale != runInfo.scale {
		return nil
	}
	return &t
}

// saveAndCompare keeps this run's table and prints the comparison with
// the other engine's, when there is one.
func saveAndCompare() {
	if runInfo.cache == "" {
		return
	}
	saved := loadTable(engineName)
	if saved == nil {
		saved = &savedTable{Engine: engineName, Scale: runInfo.scale}
	}
	saved.Machine, saved.At = runInfo.machine, time.Now().UTC()
	for _, r := range table {
		if r.Section == "machine" {
			continue
		}
		replaced := false
		for i, s := range saved.Rows {
			if s.Section == r.Section && s.Figure == r.Figure {
				saved.Rows[i], replaced = r, true
			}
		}
		if !replaced {
			saved.Rows = append(saved.Rows, r)
		}
	}
	body, _ := json.MarshalIndent(saved, "", "  ")
	if err := os.WriteFile(savedPath(engineName), body, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bench: keep the table:", err)
	}
	other := engineSQLite
	if engineName == engineSQLite {
		other = enginePostgres
	}
	them := loadTable(other)
	if them == nil {
		return
	}
	sqlite, pg := saved, them
	if engineName == enginePostgres {
		sqlite, pg = them, saved
	}
	printComparison(sqlite, pg)
}

func printComparison(sqlite, pg *savedTable) {
	fmt.Println()
	fmt.Printf("PostgreSQL against SQLite at %d changes (issue 13: every figure within 2×)\n", sqlite.Scale)
	fmt.Printf("  SQLite:     %s, %s\n", sqlite.At.Format("2006-01-02 15:04 MST"), sqlite.Machine)
	fmt.Printf("  PostgreSQL: %s, %s\n", pg.At.Format("2006-01-02 15:04 MST"), pg.Machine)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SECTION\tFIGURE\tSQLITE\tPOSTGRESQL\tRATIO\t≤ 2×")
	n, missed := 0, 0
	for _, s := range sqlite.Rows {
		if s.Num <= 0 || s.Engine != engineSQLite || s.Section == "demo" || s.Section == "sync" {
			continue
		}
		for _, p := range pg.Rows {
			if p.Section != s.Section || p.Figure != s.Figure || p.Num <= 0 || p.Engine != enginePostgres {
				continue
			}
			ratio := p.Num / s.Num
			if s.HigherIsBetter {
				ratio = s.Num / p.Num
			}
			v := verdict(ratio <= 2)
			n++
			if ratio > 2 {
				missed++
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%s\n", s.Section, s.Figure, s.Value, p.Value, ratio, v)
		}
	}
	tw.Flush()
	fmt.Printf("%d figures compared, %d more than 2× SQLite's\n", n, missed)
}
