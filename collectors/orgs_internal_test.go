package collectors

import "testing"

func TestOrgFilter(t *testing.T) {
	o := Org{Include: []string{"api-*", "acme/web"}, Exclude: []string{"*-sandbox"}, Topics: []string{"production"}}
	for _, c := range []struct {
		r   ListedRepo
		why string
	}{
		{ListedRepo{Name: "acme/api-core", Topics: []string{"Production"}}, ""},
		{ListedRepo{Name: "acme/web", Topics: []string{"production", "go"}}, ""},
		{ListedRepo{Name: "acme/api-core"}, "no listed topic"},
		{ListedRepo{Name: "acme/api-sandbox", Topics: []string{"production"}}, "excluded"},
		{ListedRepo{Name: "acme/docs", Topics: []string{"production"}}, "not included"},
		{ListedRepo{Name: "acme/api-old", Archived: true, Topics: []string{"production"}}, "archived"},
		{ListedRepo{Name: "acme/api-fork", Fork: true, Topics: []string{"production"}}, "fork"},
	} {
		if got := o.filter(c.r); got != c.why {
			t.Errorf("%s: %q, want %q", c.r.Name, got, c.why)
		}
	}
	all := Org{Archived: true, Forks: true}
	if why := all.filter(ListedRepo{Name: "acme/x", Archived: true, Fork: true}); why != "" {
		t.Errorf("archived: true, forks: true left out a repo: %s", why)
	}
}
