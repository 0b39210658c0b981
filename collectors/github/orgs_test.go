package github

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github/githubtest"
)

func TestListOrg(t *testing.T) {
	srv := githubtest.New(t)
	for _, name := range []string{"acme/api", "acme/web", "acme/old", "acme/lib-fork", "acme/svc"} {
		srv.AddRepo(name)
	}
	srv.Repo("acme/old").Archived = true
	srv.Repo("acme/lib-fork").Fork = true
	srv.Repo("acme/svc").Topics = []string{"production", "go"}
	srv.AddRepo("bob/tool")
	srv.MarkUser("bob")
	p, _, _ := newProvider(t, srv, func(o *Options) { o.PageSize = 2 })

	got, err := p.ListOrg(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range got {
		names = append(names, r.Name)
		switch r.Name {
		case "acme/old":
			if !r.Archived {
				t.Error("acme/old not archived")
			}
		case "acme/lib-fork":
			if !r.Fork {
				t.Error("acme/lib-fork not a fork")
			}
		case "acme/svc":
			if strings.Join(r.Topics, ",") != "production,go" {
				t.Errorf("acme/svc topics = %v", r.Topics)
			}
		}
	}
	if strings.Join(names, " ") != "acme/api acme/web acme/old acme/lib-fork acme/svc" {
		t.Errorf("acme lists %v", names)
	}
	if n := srv.Requests("account_repos"); n != 3 {
		t.Errorf("%d list requests for 5 repos by 2, want 3 pages", n)
	}
	// A user: /orgs/ is 404, then /users/.
	got, err = p.ListOrg(context.Background(), "bob")
	if err != nil || len(got) != 1 || got[0].Name != "bob/tool" {
		t.Errorf("bob lists %v, %v", got, err)
	}
	if _, err := p.ListOrg(context.Background(), "nobody"); !errors.Is(err, collectors.ErrRepoNotFound) || !strings.Contains(err.Error(), "GitHub has no organisation or user nobody") {
		t.Errorf("an unknown account: %v", err)
	}
}

// TestListOrgAsApp: signed in as an app, an organisation's listing uses
// the organisation's installation, and a user's the user's.
func TestListOrgAsApp(t *testing.T) {
	srv, p, _, _ := newAppServer(t)
	srv.AddRepo("acme/api")
	srv.AddRepo("bob/tool")
	srv.MarkUser("bob")
	for _, account := range []string{"acme", "bob"} {
		got, err := p.ListOrg(context.Background(), account)
		if err != nil || len(got) != 1 {
			t.Errorf("%s lists %v, %v", account, got, err)
		}
	}
	if srv.TokensIssued() != 2 {
		t.Errorf("tokens issued = %d, want one per installation", srv.TokensIssued())
	}
}
