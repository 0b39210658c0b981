package collectors

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/tach-dev/tach/store"
)

// An organisation entry (github_org) is listed again on every sync, as a
// gitlab_group is expanded: the repos it yields now are synced; a repo it
// yielded before and no longer does (removed, archived, filtered out)
// stops syncing and keeps its rows, read as they are. What each listing
// yielded is recorded (store.Listing) for the sync page.

// Org is an account whose repos are synced (a GitHub organisation or user).
type Org struct {
	Provider string
	Name     string
	// Include and Exclude are globs on a repo's name or owner/name;
	// an empty Include includes every repo.
	Include, Exclude []string
	// Topics keeps the repos with one of them (any when empty).
	Topics []string
	// Archived and Forks include archived repos and forks.
	Archived, Forks bool
}

// ListedRepo is a repo as an account's listing gives it.
type ListedRepo struct {
	Name     string // owner/name
	Archived bool
	Fork     bool
	Topics   []string
}

// OrgLister is a Provider that can list an account's repos (github_org).
type OrgLister interface {
	ListOrg(ctx context.Context, org string) ([]ListedRepo, error)
}

// filter returns why a listed repo is left out ("" to sync it).
func (o Org) filter(r ListedRepo) string {
	_, name, _ := strings.Cut(r.Name, "/")
	match := func(globs []string) bool {
		for _, g := range globs {
			g = strings.ToLower(g)
			if ok, _ := path.Match(g, strings.ToLower(name)); ok {
				return true
			}
			if ok, _ := path.Match(g, strings.ToLower(r.Name)); ok {
				return true
			}
		}
		return false
	}
	switch {
	case r.Archived && !o.Archived:
		return "archived"
	case r.Fork && !o.Forks:
		return "fork"
	case len(o.Include) > 0 && !match(o.Include):
		return "not included"
	case match(o.Exclude):
		return "excluded"
	case len(o.Topics) > 0 && !slices.ContainsFunc(r.Topics, func(t string) bool { return slices.Contains(o.Topics, strings.ToLower(t)) }):
		return "no listed topic"
	}
	return ""
}

// expandOrgs lists each org entry's repos, hands each kept one to add
// (with the settings the config gives it: its own entry's, else the
// org's), and records the listing. A listing that fails fails the sync
// before it starts, as a group that cannot be expanded does.
func (s *Syncer) expandOrgs(ctx context.Context, add func(Repo)) error {
	for _, o := range s.cfg.Orgs {
		lister, ok := s.providers[o.Provider].(OrgLister)
		if !ok {
			return fmt.Errorf("sync: %s cannot list the repos of %s", providerTitle(o.Provider), o.Name)
		}
		listed, err := lister.ListOrg(ctx, o.Name)
		if err != nil {
			return err
		}
		l := store.Listing{Provider: o.Provider, Entry: o.Name, At: time.Now().UTC()}
		for _, r := range listed {
			if why := o.filter(r); why != "" {
				l.Skipped = append(l.Skipped, store.ListedSkip{Repo: r.Name, Why: why})
				continue
			}
			if repo, ok := s.cfg.Match(o.Provider, r.Name); ok {
				add(repo)
				l.Repos = append(l.Repos, r.Name)
			}
		}
		if err := s.st.RecordListing(ctx, l); err != nil {
			return err
		}
	}
	return nil
}
