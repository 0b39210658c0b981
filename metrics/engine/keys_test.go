package engine_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/impact"
)

// The overview judges its keys from the facts, and recovery time from the
// change failures recovered in the periods alone: the same comparison,
// measure for measure, as one that reads every row of both periods.
func TestKeysJudgedAsFromEveryRow(t *testing.T) {
	ctx := context.Background()
	_, eng := demoStore(t)
	keys := impact.KeyMeasures(metrics.DORAKeys...)
	recoveries := 0
	for _, weeks := range []int{4, 12} {
		for back := 0; back < 30; back += weeks {
			cur := metrics.LastWholeWeeks(demoEnd.AddDate(0, 0, -7*back), weeks, nil)
			prev := engine.PreviousWindow(cur, nil)
			for _, sc := range []engine.Scope{{}, {Team: "checkout"}, {Repos: []string{"acme/payments"}}} {
				split, rows, err := engine.KeysCompared(ctx, eng, sc, prev, cur, demoEnd, keys)
				if err != nil {
					t.Fatal(err)
				}
				if len(split.Measures) != len(keys) {
					t.Fatalf("%v %v: %d measures of %d", sc, cur, len(split.Measures), len(keys))
				}
				a, _ := json.Marshal(split.Measures)
				b, _ := json.Marshal(rows.Measures)
				if string(a) != string(b) {
					t.Errorf("%v %v:\n split %s\n rows  %s", sc, cur, a, b)
				}
				for _, m := range split.Measures {
					if m.Key == "recovery_time" {
						recoveries += m.NAfter
					}
				}
			}
		}
	}
	// The demo's failures recover in these periods: the test compares more
	// than two empty lists.
	if recoveries == 0 {
		t.Error("no recovery in any period compared")
	}
}
