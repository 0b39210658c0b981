package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tach-dev/tach/metrics"
)

// module= scopes every page and endpoint: the measure pages, the lists
// (a module's changes, the deployments that ship them, their incidents),
// the scope bar's module picker, and /api/v1/scopes lists each repo's
// modules.
func TestModuleScopeOnPagesAndLists(t *testing.T) {
	h := newHandler(t)
	const mod = "acme/shop-monolith:search"
	total := func(target string) int {
		t.Helper()
		rec := get(t, h, target)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
		var page struct {
			Page struct {
				Total int `json:"total"`
			} `json:"page"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		return page.Page.Total
	}
	for _, list := range []string{"changes", "deployments"} {
		repo, module := total("/api/v1/"+list+"?weeks=26&repo=acme/shop-monolith"), total("/api/v1/"+list+"?weeks=26&module="+mod)
		if module == 0 || module >= repo {
			t.Errorf("%s: %d of the module, %d of its repo", list, module, repo)
		}
		if both := total("/api/v1/" + list + "?weeks=26&repo=acme/web&module=" + mod); both <= module {
			t.Errorf("%s: a repo and a module together: %d, the module alone %d", list, both, module)
		}
	}

	var rep metrics.Report
	rec := get(t, h, "/api/v1/metrics?module="+mod)
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &rep) != nil || len(rep.Scope.Modules) != 1 || rep.Scope.Modules[0] != mod {
		t.Fatalf("/api/v1/metrics?module=: %d %s", rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
	}
	doc := parse(t, get(t, h, "/measures/ci?module="+mod).Body.String())
	if doc.Find(`[data-testid="filter-module"] option[selected][value="`+mod+`"]`).Length() != 1 {
		t.Error("the measure page's module picker does not show the module chosen")
	}
	if got := doc.Find(`[data-testid="scope"]`).Text(); !strings.HasPrefix(got, mod+" · ") {
		t.Errorf("scope line %q", got)
	}
	// A module's overview is not "a scope without repos", and its weekly
	// review is named after it (both said so of a module before).
	if body := get(t, h, "/?module="+mod).Body.String(); strings.Contains(body, "This scope has no repos") {
		t.Error("the overview of a module says the scope has no repos")
	}
	if body := get(t, h, "/weekly?module="+mod).Body.String(); !strings.Contains(body, mod+" · the week ") {
		t.Errorf("the weekly review of a module does not name it:\n%.600s", body)
	}
	if rec := get(t, h, "/?module=acme/shop-monolith:nope"); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "has no module") {
		t.Errorf("an unknown module: %d", rec.Code)
	}
	if rec := get(t, h, "/api/v1/changes?module=acme/shop-monolith"); rec.Code != http.StatusBadRequest {
		t.Errorf("module= without a name: %d", rec.Code)
	}

	var scopes struct {
		Repos []struct {
			Name    string `json:"name"`
			Modules []struct {
				Name, Ref string
				Paths     []string
			} `json:"modules"`
		} `json:"repos"`
	}
	if err := json.Unmarshal(get(t, h, "/api/v1/scopes").Body.Bytes(), &scopes); err != nil {
		t.Fatal(err)
	}
	for _, r := range scopes.Repos {
		if r.Name == "acme/shop-monolith" && (len(r.Modules) != 5 || r.Modules[3].Ref != mod || r.Modules[3].Paths[0] != "search/**" || r.Modules[4].Name != "(unassigned)") {
			t.Errorf("the monolith's modules: %+v", r.Modules)
		}
		if r.Name == "acme/web" && len(r.Modules) != 0 {
			t.Errorf("acme/web has modules: %+v", r.Modules)
		}
	}
}
