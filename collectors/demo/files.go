package demo

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tach-dev/tach/store"
)

// The files each change touched. Every repository has a source tree of
// its kind (the monolith's modules, a Go service's packages, a React app's
// components, Terraform modules); a change keeps mostly to one part of it,
// sometimes touching build or config files or another part, as many files
// as it has (ChangedFiles) with its lines spread over them. Bots' updates
// touch the dependency manifests; hotfixes and bug fixes cluster in a few
// fragile files; a revert touches what it reverts; some refactors rename a
// file. All of it is drawn from a stream of its own per repository, so
// the rest of the demo is what it was without files.

// monolithModules are the monolith's modules: top-level directories,
// each a module scope in a config (modules: [{name: checkout, paths:
// ["checkout/**"]}, …]), with their packages and their share of the
// changes. Payments has none after the split: it moved to acme/payments.
var monolithModules = []struct {
	name   string
	weight float64
	pkgs   []string
}{
	{"checkout", 0.45, []string{"cart", "orders", "invoices", "returns", "promotions", "tax", "shipping", "receipts", "api"}},
	{"catalog", 0.15, []string{"products", "categories", "pricing", "inventory", "api"}},
	{"payments", 0.15, []string{"cards", "refunds", "webhooks", "payouts", "ledger", "threeds"}},
	{"search", 0.12, []string{"index", "query", "ranking", "api"}},
}

// Modules are the monolith's modules as a config names them: modules:
// [{name: checkout, paths: ["checkout/**"]}, …]. Its shared/ directory and
// root files belong to no module: they are its (unassigned) module.
func Modules() []store.Module {
	var out []store.Module
	for _, m := range monolithModules {
		out = append(out, store.Module{Name: m.name, Paths: []string{m.name + "/**"}, Source: "config"})
	}
	return out
}

// part is a directory a change keeps to: its files and its share of the
// changes.
type part struct {
	name   string
	files  []string
	weight float64
}

// tree is a repository's source tree as its changes see it.
type tree struct {
	parts    []part
	root     []string // build, config and docs files
	deps     []string // what a dependency bump touches, the manifest first
	hotspots []string // the files fixes cluster in
	// extra names the files a large change adds beside a part's (test
	// fixtures, snapshots, policies), in the directory of one of them.
	extra string
}

// partOf is the index of the part named name (-1 when none is).
func (t *tree) partOf(name string) int {
	return slices.IndexFunc(t.parts, func(p part) bool { return p.name == name })
}

var goFiles = []string{"handler.go", "handler_test.go", "service.go", "service_test.go", "store.go", "store_test.go", "types.go"}

// goPart is a Go directory of packages, each with goFiles.
func goPart(name, dir string, weight float64, pkgs ...string) part {
	p := part{name: name, weight: weight}
	for _, pkg := range pkgs {
		for _, f := range goFiles {
			p.files = append(p.files, dir+pkg+"/"+f)
		}
	}
	return p
}

const goExtra = "testdata/case%03d.json"

var goRoot = []string{"go.mod", "go.sum", "Makefile", "Dockerfile", "README.md", ".github/workflows/ci.yml", ".golangci.yml"}

// trees are the source trees by kind (repoDef.tree); a large
// organisation's generated repos take their template's.
var trees = map[string]*tree{
	"monolith": func() *tree {
		t := &tree{
			root:     append(slices.Clone(goRoot), "config/app.yaml", "config/production.yaml", "cmd/shop/main.go", "migrations/schema.sql"),
			deps:     []string{"go.mod", "go.sum"},
			hotspots: []string{"checkout/tax/service.go", "checkout/cart/service.go", "checkout/orders/store.go"},
			extra:    goExtra,
		}
		for _, m := range monolithModules {
			t.parts = append(t.parts, goPart(m.name, m.name+"/", m.weight, m.pkgs...))
		}
		t.parts = append(t.parts, goPart("shared", "shared/", 0.08, "db", "httpx", "auth", "money", "events"))
		return t
	}(),
	"payments": goService("cmd/payments/main.go", []string{"internal/webhooks/handler.go", "internal/refunds/service.go"},
		"cards", "refunds", "webhooks", "payouts", "threeds", "fraud", "ledger", "retries"),
	"catalog": goService("cmd/catalog/main.go", []string{"internal/pricing/service.go", "internal/importer/service.go", "internal/cache/service.go"},
		"importer", "categories", "pricing", "inventory", "searchindex", "images", "supplier", "variants", "cache"),
	"web": func() *tree {
		t := &tree{
			root: []string{"package.json", "package-lock.json", "tsconfig.json", "vite.config.ts", ".eslintrc.cjs", "README.md",
				"index.html", ".github/workflows/ci.yml"},
			deps:     []string{"package.json", "package-lock.json"},
			hotspots: []string{"src/components/CheckoutForm/CheckoutForm.tsx", "src/components/SearchBox/SearchBox.tsx"},
			extra:    "__fixtures__/fixture%03d.json",
		}
		for _, c := range []string{"ProductPage", "CartDrawer", "CheckoutForm", "Header", "SearchBox", "AccountPage",
			"OrderTracking", "MobileMenu", "CookieBanner"} {
			d := "src/components/" + c + "/"
			t.parts = append(t.parts, part{name: c, weight: 1,
				files: []string{d + c + ".tsx", d + c + ".test.tsx", d + c + ".module.css", d + "index.ts"}})
		}
		t.parts = append(t.parts,
			part{name: "api", weight: 0.8, files: []string{"src/api/client.ts", "src/api/cart.ts", "src/api/products.ts",
				"src/api/orders.ts", "src/api/search.ts", "src/api/client.test.ts"}},
			part{name: "hooks", weight: 0.5, files: []string{"src/hooks/useCart.ts", "src/hooks/useProduct.ts", "src/hooks/useSession.ts",
				"src/hooks/useCart.test.ts"}},
			part{name: "app", weight: 0.3, files: []string{"src/App.tsx", "src/main.tsx", "src/routes.tsx", "src/styles/global.css"}})
		return t
	}(),
	"terraform": func() *tree {
		t := &tree{
			root:     []string{"README.md", ".gitlab-ci.yml", ".tflint.hcl"},
			deps:     []string{"versions.tf", ".terraform.lock.hcl"},
			hotspots: []string{"modules/eks/main.tf", "envs/live/main.tf"},
			extra:    "policies/policy%03d.json",
		}
		for _, m := range []string{"rds", "eks", "redis", "vpc-peering", "iam", "cloudfront", "s3", "dns", "bastion"} {
			d := "modules/" + m + "/"
			t.parts = append(t.parts, part{name: m, weight: 1, files: []string{d + "main.tf", d + "variables.tf", d + "outputs.tf", d + "README.md"}})
		}
		t.parts = append(t.parts, part{name: "envs", weight: 1.5, files: []string{"envs/live/main.tf", "envs/live/terraform.tfvars",
			"envs/live/backend.tf", "envs/staging/main.tf", "envs/staging/terraform.tfvars", "versions.tf", ".terraform.lock.hcl"}})
		return t
	}(),
}

// goService is a Go service's tree: a package per part under internal/,
// its API description and migrations.
func goService(main string, hotspots []string, pkgs ...string) *tree {
	t := &tree{
		root:     append(slices.Clone(goRoot), main, "api/openapi.yaml", "migrations/schema.sql", "deploy/values.yaml"),
		deps:     []string{"go.mod", "go.sum"},
		hotspots: hotspots,
		extra:    goExtra,
	}
	for _, pkg := range pkgs {
		t.parts = append(t.parts, goPart(pkg, "internal/", 1, pkg))
	}
	return t
}

// fileSpec is what a change's files follow besides its size.
type fileSpec struct {
	kind     changeKind
	part     string   // a special change's part ("" for any)
	reverts  []string // a revert: the files of the change it reverts
	main     int      // index+1 of the part chosen before the change's life; 0: none
	degraded float64  // weeks its part had been degrading (degrade.go)
}

// changeFiles draws the files of change c, opened at t: c.ChangedFiles of
// them, whose lines add up to c's.
func (s *sim) changeFiles(c store.Change, sp fileSpec) []store.ChangeFile {
	t, r := s.tree, s.rf
	n := max(1, c.ChangedFiles)
	paths := make([]string, 0, n)
	seen := make(map[string]bool, n)
	add := func(p string) {
		if len(paths) < n && !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	fix := sp.kind == ckHotfix || slices.Contains(c.Labels, "bug")
	switch {
	case c.AuthorIsBot:
		for _, p := range t.deps {
			add(p)
		}
	case sp.kind == ckRevert && len(sp.reverts) > 0:
		for _, p := range sp.reverts {
			add(p)
		}
	case fix && sp.degraded > 0:
		if r.chance(0.9) {
			add(pick(r, degradeHotspots))
		}
	case fix && r.chance(0.7):
		add(pick(r, t.hotspots))
	}
	weights := s.partWeights(c.CreatedAt, false)
	main := t.partOf(sp.part)
	if main < 0 && sp.main > 0 {
		main = sp.main - 1
	}
	if main < 0 {
		main = r.pickWeighted(weights)
	}
	for try := 0; len(paths) < n; try++ {
		switch u := r.Float64(); {
		case try > 20*n:
			// Every file of the part is in already: a large change adds
			// new ones beside them.
			add(dirOf(pick(r, t.parts[main].files)) + fmt.Sprintf(t.extra, len(paths)))
		case u < 0.8 || sp.part != "" || sp.degraded > 0:
			// A degrading module's changes keep to it: its trouble is its own.
			add(pick(r, t.parts[main].files))
		case u < 0.9:
			add(pick(r, t.root))
		default:
			add(pick(r, t.parts[r.pickWeighted(weights)].files))
		}
	}
	files := make([]store.ChangeFile, n)
	for i, p := range paths {
		files[i].Path = p
	}
	spreadLines(r, files, c.Additions, c.Deletions)
	// Some refactors move a file within its directory.
	if slices.Contains(c.Labels, "refactor") && n >= 2 && r.chance(0.25) {
		f := &files[n-1]
		dir := dirOf(f.Path)
		f.PreviousPath = dir + "legacy_" + strings.TrimPrefix(f.Path, dir)
	}
	return files
}

// dirOf is the directory of a path, with its slash ("" at the root).
func dirOf(path string) string {
	return path[:strings.LastIndexByte(path, '/')+1]
}

// spreadLines gives the files the change's added and deleted lines: each
// file at least one line while there are lines to give, the rest by
// random weights, the first file (where the change is) heaviest.
func spreadLines(r rng, files []store.ChangeFile, adds, dels int) {
	w := make([]float64, len(files))
	total := 0.0
	for i := range w {
		w[i] = r.ExpFloat64()
		if i == 0 {
			w[i] += 2
		}
		total += w[i]
	}
	share := func(lines int, set func(i, n int)) {
		given := 0
		for i := range files {
			k := int(math.Floor(float64(lines) * w[i] / total))
			set(i, k)
			given += k
		}
		for i := 0; given < lines; i = (i + 1) % len(files) {
			set(i, 1)
			given++
		}
	}
	share(adds, func(i, n int) { files[i].Additions += n })
	share(dels, func(i, n int) { files[i].Deletions += n })
	// A file with no line takes one from the heaviest, when it has two.
	for i := range files {
		if files[i].Additions+files[i].Deletions > 0 {
			continue
		}
		h := 0
		for j := range files {
			if files[j].Additions+files[j].Deletions > files[h].Additions+files[h].Deletions {
				h = j
			}
		}
		switch {
		case files[h].Additions > 1:
			files[h].Additions--
			files[i].Additions++
		case files[h].Deletions > 1:
			files[h].Deletions--
			files[i].Deletions++
		}
	}
}

// paths are the paths of files.
func paths(files []store.ChangeFile) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Path
	}
	return out
}
