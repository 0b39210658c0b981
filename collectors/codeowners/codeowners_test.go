package codeowners

import (
	"reflect"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
)

func TestGlobsMatchLikeCodeowners(t *testing.T) {
	// GitHub's documented examples (about-code-owners): the pattern, the
	// paths it owns and some it does not.
	for _, tc := range []struct {
		pattern string
		match   []string
		nomatch []string
	}{
		{"*", []string{"README.md", "a/b/c.go"}, nil},
		{"*.js", []string{"app.js", "src/deep/app.js"}, []string{"app.ts"}},
		{"/build/logs/", []string{"build/logs/a.log", "build/logs/x/y.log"}, []string{"x/build/logs/a.log", "build/a.log"}},
		{"docs/*", []string{"docs/getting-started.md"}, []string{"docs/build-app/troubleshooting.md"}},
		{"apps/", []string{"apps/a.go", "x/apps/b/c.go"}, []string{"apps.go"}},
		{"/docs/", []string{"docs/a.md", "docs/x/b.md"}, []string{"x/docs/a.md"}},
		{"/scripts/", []string{"scripts/deploy.sh"}, nil},
		{"**/logs", []string{"logs/a", "build/logs/b", "deep/a/logs/c.txt"}, []string{"logsx"}},
		{"/apps/github", []string{"apps/github", "apps/github/x.go"}, []string{"apps/github2"}},
		{"checkout/**", []string{"checkout/a.go", "checkout/x/y.go"}, []string{"x/checkout/a.go"}},
	} {
		globs := Globs(tc.pattern)
		matches := func(p string) bool {
			for _, g := range globs {
				if ok, _ := doublestar.Match(g, p); ok {
					return true
				}
			}
			return false
		}
		for _, p := range tc.match {
			if !matches(p) {
				t.Errorf("%q (globs %v) does not match %s", tc.pattern, globs, p)
			}
		}
		for _, p := range tc.nomatch {
			if matches(p) {
				t.Errorf("%q (globs %v) matches %s", tc.pattern, globs, p)
			}
		}
	}
}

func TestParse(t *testing.T) {
	content := `# Owners
*                @acme/everyone
/checkout/       @acme/checkout @alice
payments/**      @acme/payments # the service's code
*.sql            @acme/dba
/docs/           

[Search][2] @acme/search
/search/
/search/ranking/ @bob
^[Optional docs]
README.md        @alice
`
	got := Parse(content)
	want := []Module{
		{"@acme/everyone", []string{"**"}},
		{"@acme/checkout", []string{"checkout/**"}},
		{"@alice", []string{"checkout/**", "**/README.md", "**/README.md/**"}},
		{"@acme/payments", []string{"payments/**"}},
		{"@acme/dba", []string{"**/*.sql"}},
		{"@acme/search", []string{"search/**"}},
		{"@bob", []string{"search/ranking/**"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse:\n got %v\nwant %v", got, want)
	}
	if m := Parse("# nothing\n\n"); len(m) != 0 {
		t.Errorf("empty file: %v", m)
	}
}
