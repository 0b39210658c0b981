package metrics

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// layers are the packages under metrics and the packages of this module
// each may import (docs/architecture.md): stats is the leaf, the pure
// packages build on each other in one direction, and only engine reads
// the store. Nothing under metrics imports collectors, web, cmd or
// templates. A new package under metrics must be added here, and to the
// map.
var layers = map[string][]string{
	"metrics/stats":  {},
	"metrics":        {"metrics/stats"},
	"metrics/impact": {"metrics", "metrics/stats"},
	"metrics/review": {"metrics", "metrics/stats"},
	"metrics/radar":  {"metrics", "metrics/stats"},
	"metrics/render": {"metrics", "metrics/stats", "metrics/impact", "metrics/review", "metrics/radar"},
	"metrics/query":  {"metrics", "metrics/review"},
	"metrics/engine": {"metrics", "metrics/stats", "metrics/impact", "metrics/review", "metrics/radar", "metrics/render", "metrics/query", "store"},
}

const module = "github.com/tach-dev/tach/"

// TestImportsFollowTheLayers reads the imports of every non-test file under
// metrics (tests may import what they check against, such as the demo)
// and fails for one that imports a package of this module its package may
// not.
func TestImportsFollowTheLayers(t *testing.T) {
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		pkg := filepath.ToSlash(filepath.Join("metrics", filepath.Dir(path)))
		allowed, ok := layers[pkg]
		if !ok {
			t.Errorf("%s: package %s is not in layers: say what it may import (and add it to docs/architecture.md)", path, pkg)
			return nil
		}
		seen[pkg] = true
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(p, module) {
				continue
			}
			if dep := strings.TrimPrefix(p, module); !slices.Contains(allowed, dep) {
				t.Errorf("%s imports %s: package %s may import only %v", path, dep, pkg, allowed)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg := range layers {
		if !seen[pkg] {
			t.Errorf("layers names %s, which has no files: remove it", pkg)
		}
	}
}
