package radar_test

import (
	"reflect"
	"testing"

	"github.com/tach-dev/tach/metrics/radar"
)

const shop = "acme/shop"

var windowChanges = []radar.Change{
	{Repo: shop, Paths: []string{"checkout/cart.go", "checkout/cart_test.go"}, Modules: []string{"checkout"}},
	{Repo: shop, Paths: []string{"checkout/cart.go"}, Modules: []string{"checkout"}, Fix: true, Incidents: []int64{7}},
	{Repo: shop, Paths: []string{"checkout/cart.go", "payments/charge.go"}, Modules: []string{"checkout", "payments"}, Fix: true, Incidents: []int64{7, 9}},
	{Repo: shop, Paths: []string{"payments/charge.go", "payments/charge.go"}, Modules: []string{"payments", "payments"}},
	{Repo: shop, Paths: []string{"payments/refund.go"}, Modules: []string{"payments"}},
	{Repo: shop, Paths: []string{"payments/refund.go"}, Modules: []string{"payments"}},
	{Repo: shop, Paths: []string{"README.md", "checkout/cart.go", "search/index.go"}, Modules: []string{radar.Unassigned, "checkout", "search"}},
	// A bot's bump of every module's manifest counts nowhere.
	{Repo: shop, Paths: []string{"checkout/go.mod", "payments/go.mod", "search/go.mod"}, Modules: []string{"checkout", "payments", "search"}, Bot: true, Fix: true},
	// The same path in another repo is another file.
	{Repo: "acme/api", Paths: []string{"README.md"}, Modules: []string{radar.Unassigned}, Fix: true},
}

func TestHotspots(t *testing.T) {
	got := radar.Hotspots(windowChanges)
	want := []radar.Hotspot{
		// 4 changes, 2 of them fixes: 4 × 3.
		{Repo: shop, Path: "checkout/cart.go", Changes: 4, FixChanges: 2, Incidents: 2, Score: 12},
		// A repeated path counts once per change.
		{Repo: shop, Path: "payments/charge.go", Changes: 2, FixChanges: 1, Incidents: 2, Score: 4},
		// Same score, more changes first.
		{Repo: shop, Path: "payments/refund.go", Changes: 2, Score: 2},
		{Repo: "acme/api", Path: "README.md", Changes: 1, FixChanges: 1, Score: 2},
		// Ties of score and changes: by repo, then path.
		{Repo: shop, Path: "README.md", Changes: 1, Score: 1},
		{Repo: shop, Path: "checkout/cart_test.go", Changes: 1, Score: 1},
		{Repo: shop, Path: "search/index.go", Changes: 1, Score: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hotspots:\n got %+v\nwant %+v", got, want)
	}
}

func TestCoupling(t *testing.T) {
	got := radar.Coupling(windowChanges)
	want := []radar.Pair{
		{Repo: shop, A: "checkout", B: "payments", Changes: 1},
		{Repo: shop, A: "checkout", B: "search", Changes: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("coupling: got %+v, want %+v", got, want)
	}

	// Three modules in one change are three pairs; the pairs touched most
	// come first.
	three := append(windowChanges, radar.Change{Repo: shop, Modules: []string{"search", "payments", "checkout"}})
	got = radar.Coupling(three)
	want = []radar.Pair{
		{Repo: shop, A: "checkout", B: "payments", Changes: 2},
		{Repo: shop, A: "checkout", B: "search", Changes: 2},
		{Repo: shop, A: "payments", B: "search", Changes: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("coupling with a three-module change: got %+v, want %+v", got, want)
	}
}

func TestCrossModuleShares(t *testing.T) {
	got := radar.CrossModuleShares(windowChanges)
	want := []radar.Share{
		{Scope: radar.Scope{Repo: "acme/api", Module: radar.Unassigned}, Changes: 1},
		{Scope: radar.Scope{Repo: shop, Module: radar.Unassigned}, Changes: 1, CrossModule: 1},
		{Scope: radar.Scope{Repo: shop, Module: "checkout"}, Changes: 4, CrossModule: 2},
		{Scope: radar.Scope{Repo: shop, Module: "payments"}, Changes: 4, CrossModule: 1},
		{Scope: radar.Scope{Repo: shop, Module: "search"}, Changes: 1, CrossModule: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("shares:\n got %+v\nwant %+v", got, want)
	}
	if v, ok := got[2].Value(); !ok || v != 0.5 {
		t.Errorf("checkout's share %v (ok %v), want 0.5", v, ok)
	}
	if _, ok := (radar.Share{}).Value(); ok {
		t.Error("a share of no changes is ok, want not ok")
	}
}
