package store_test

import (
	"slices"
	"testing"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// A repo's modules are replaced whole and read in their order; writing the
// same modules again leaves the generation (and so the page cache) alone,
// a change moves it; a repo's CODEOWNERS file is kept with its ETag.
func TestReplaceModules(t *testing.T) {
	st := storetest.New(t)
	shop := mustRepo(t, st, "acme/shop")
	api := mustRepo(t, st, "acme/api")
	write := func(repo int64, mods []store.Module) {
		t.Helper()
		if err := st.Write(ctx, func(tx *store.Tx) error { return tx.ReplaceModules(ctx, repo, mods) }); err != nil {
			t.Fatal(err)
		}
	}
	gen := func() int64 {
		t.Helper()
		g, err := st.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	list := func() []string {
		t.Helper()
		mods, err := st.Modules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range mods {
			out = append(out, m.Repo+":"+m.Name+"="+slices.Concat(m.Paths, []string{m.Source})[0]+"/"+m.Source)
		}
		return out
	}
	mods := []store.Module{{Name: "search", Paths: []string{"search/**", "shared/index/**"}}, {Name: "checkout", Paths: []string{"checkout/**"}}}
	write(shop, mods)
	write(api, []store.Module{{Name: "@acme/core", Paths: []string{"**"}, Source: "codeowners"}})
	if got, want := list(), []string{"acme/api:@acme/core=**/codeowners", "acme/shop:search=search/**/config", "acme/shop:checkout=checkout/**/config"}; !slices.Equal(got, want) {
		t.Errorf("modules %v, want %v", got, want)
	}
	g := gen()
	write(shop, mods)
	if gen() != g {
		t.Error("the same modules moved the generation")
	}
	write(shop, mods[:1])
	if gen() == g {
		t.Error("a module removed left the generation where it was")
	}
	write(shop, nil)
	if got := list(); len(got) != 1 {
		t.Errorf("after clearing acme/shop: %v", got)
	}

	if _, ok, err := st.CodeownersOf(ctx, api); ok || err != nil {
		t.Fatalf("codeowners before any: %v, %v", ok, err)
	}
	for _, c := range []store.Codeowners{{Path: ".github/CODEOWNERS", ETag: `"a"`, Content: "* @a\n"}, {Path: "docs/CODEOWNERS", ETag: `"b"`, Content: "* @b\n"}} {
		if err := st.Write(ctx, func(tx *store.Tx) error { return tx.PutCodeowners(ctx, api, c) }); err != nil {
			t.Fatal(err)
		}
		got, ok, err := st.CodeownersOf(ctx, api)
		if !ok || err != nil || got != c {
			t.Errorf("codeowners %+v, %v, %v; want %+v", got, ok, err, c)
		}
	}
}
