package config

import (
	"slices"
	"strings"
	"testing"
)

func TestParseModules(t *testing.T) {
	c := mustParse(t, doc(
		"repos:",
		"  - github: acme/shop",
		"    modules:",
		"      - name: checkout",
		"        paths: [\"checkout/**\", \"/shared/money/**\"]",
		"      - {name: payments, paths: [\"payments/**\"]}",
		"  - github: acme/api",
		"    modules: {from: codeowners}",
		"  - github: acme/web",
		"teams:",
		"  - name: payments",
		"    repos: [acme/web]",
		"    modules: [acme/shop:payments, acme/api:@acme/billing]",
		"  - name: checkout",
		"    modules: [acme/shop:checkout]",
	), env())
	shop := c.Repos[0].Modules
	if shop.FromCodeowners || len(shop.List) != 2 || shop.List[0].Name != "checkout" ||
		!slices.Equal(shop.List[0].Paths, []string{"checkout/**", "shared/money/**"}) || shop.List[0].Line != 4 {
		t.Errorf("acme/shop modules = %+v", shop)
	}
	if !c.Repos[1].Modules.FromCodeowners || c.Repos[2].Modules.Configured() {
		t.Errorf("acme/api, acme/web modules = %+v, %+v", c.Repos[1].Modules, c.Repos[2].Modules)
	}
	if got := c.Teams[0].Modules; !slices.Equal(got, []string{"acme/shop:payments", "acme/api:@acme/billing"}) {
		t.Errorf("team payments modules = %v", got)
	}
	if len(c.Teams[1].Repos) != 0 || !slices.Equal(c.Teams[1].Modules, []string{"acme/shop:checkout"}) {
		t.Errorf("team checkout = %+v", c.Teams[1])
	}
}

func TestParseModulesErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		want  string
	}{
		{"bad glob names its line", []string{
			"repos:",
			"  - github: acme/shop",
			"    modules:",
			"      - name: checkout",
			"        paths:",
			"          - checkout/**",
			"          - \"checkout/[cart\"",
		}, `tach.yaml:7: repos[0].modules[0].paths[1]: "checkout/[cart" is not a valid glob`},
		{"dot path", []string{
			"repos:",
			"  - github: acme/shop",
			"    modules: [{name: a, paths: [./a/**]}]",
		}, `tach.yaml:3: repos[0].modules[0].paths[0]: "./a/**" must be a path from the repo's root`},
		{"duplicate name", []string{
			"repos:",
			"  - github: acme/shop",
			"    modules:",
			"      - {name: a, paths: [a/**]}",
			"      - {name: a, paths: [b/**]}",
		}, `tach.yaml:5: repos[0].modules[1].name: module "a" is already defined at line 4`},
		{"colon in name", []string{
			"repos:",
			"  - github: acme/shop",
			"    modules: [{name: \"a:b\", paths: [a/**]}]",
		}, `may not hold ':'`},
		{"no paths", []string{
			"repos:",
			"  - github: acme/shop",
			"    modules: [{name: a}]",
		}, `repos[0].modules[0].paths: required`},
		{"unknown source", []string{
			"repos:",
			"  - github: acme/shop",
			"    modules: {from: owners}",
		}, `repos[0].modules.from: "owners" is not one of`},
		{"team module of an unknown module", []string{
			"repos:",
			"  - github: acme/shop",
			"    modules: [{name: a, paths: [a/**]}]",
			"teams:",
			"  - {name: t, modules: [acme/shop:b]}",
		}, `tach.yaml:5: teams[0].modules[0]: repo acme/shop has no module "b" (its modules: a)`},
		{"team module of a repo without modules", []string{
			"repos:",
			"  - github: acme/shop",
			"teams:",
			"  - {name: t, modules: [acme/shop:b]}",
		}, `repo acme/shop has no modules`},
		{"team module not REPO:NAME", []string{
			"repos:",
			"  - github: acme/shop",
			"teams:",
			"  - {name: t, modules: [acme/shop]}",
		}, `"acme/shop" is not a module: write REPO:NAME`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(doc(tc.lines...), "tach.yaml", env())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
