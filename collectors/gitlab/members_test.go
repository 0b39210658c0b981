package gitlab_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/tach-dev/tach/collectors"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
)

// TestTeamMembersOfAGroup: a team read from a GitLab group gets its
// members' usernames (lower-case), across pages; an unknown group is
// ErrRepoNotFound naming it.
func TestTeamMembersOfAGroup(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(&gt.Project{Path: "acme/search/api"})
	h.srv.SetGroupMembers("acme/search", "Ada", "grace", "linus", "ken")
	p := h.provider() // page size 3: two pages
	got, err := p.TeamMembers(context.Background(), "acme/search")
	if err != nil || !slices.Equal(got, []string{"ada", "grace", "linus", "ken"}) {
		t.Errorf("members = %v, %v", got, err)
	}
	if _, err := p.TeamMembers(context.Background(), "acme/nothing"); !errors.Is(err, collectors.ErrRepoNotFound) {
		t.Errorf("an unknown group: %v", err)
	}
}
