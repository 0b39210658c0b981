package metrics

import (
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"
)

func TestFirstReviewAndApproval(t *testing.T) {
	rules := DefaultRules()
	tests := []struct {
		name                   string
		reviews                []Review
		wantReview, wantApprov time.Time
	}{
		{"never reviewed", nil, time.Time{}, time.Time{}},
		{"the author's own review is ignored (logins case-insensitive)", []Review{
			{Author: "Alice", State: "commented", At: hr(1)},
			{Author: "bob", State: "approved", At: hr(2)},
		}, hr(2), hr(2)},
		{"bot reviews are ignored: by name and by the provider's flag", []Review{
			{Author: "dependabot[bot]", State: "approved", At: hr(1)},
			{Author: "ci-helper", AuthorIsBot: true, State: "commented", At: hr(1.5)},
			{Author: "renovate", State: "approved", At: hr(1.7)},
			{Author: "bob", State: "commented", At: hr(3)},
		}, hr(3), time.Time{}},
		{"earliest wins whatever the order; approval is its own first", []Review{
			{Author: "carol", State: "approved", At: hr(5)},
			{Author: "bob", State: "changes_requested", At: hr(2)},
			{Author: "dave", State: "APPROVED", At: hr(4)},
		}, hr(2), hr(4)},
		{"a dismissed review still counts as the first review, not as an approval", []Review{
			{Author: "carol", State: "dismissed", At: hr(1)},
			{Author: "bob", State: "approved", At: hr(2)},
		}, hr(1), hr(2)},
		{"an unsubmitted (pending) review does not count", []Review{
			{Author: "carol", State: "pending", At: hr(1)},
			{Author: "bob", State: "commented", At: hr(2)},
		}, hr(2), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := merged(1, hr(10), "m1")
			c.Reviews = tt.reviews
			out := Derive(RepoHistory{Rules: DefaultRepoRules(), Changes: []Change{c}}, rules).Changes[0]
			if !out.FirstReviewAt.Equal(tt.wantReview) || !out.FirstApprovalAt.Equal(tt.wantApprov) {
				t.Errorf("first review %v, approval %v; want %v, %v", out.FirstReviewAt, out.FirstApprovalAt, tt.wantReview, tt.wantApprov)
			}
		})
	}
}

func TestProductionAndFailedAttempts(t *testing.T) {
	tests := []struct {
		name          string
		source        string
		env, tier     string
		status        string
		finished      time.Time
		prod, attempt bool
	}{
		{"success in production", SourceDeployments, "production", "", StatusSuccess, hr(1), true, false},
		{"environment regex is case-insensitive", SourceDeployments, "Prod", "", StatusSuccess, hr(1), true, false},
		{"staging is not production", SourceDeployments, "staging", "", StatusSuccess, hr(1), false, false},
		{"GitLab tier production matches", SourceDeployments, "gprd", "production", StatusSuccess, hr(1), true, false},
		{"failure in production is a failed attempt", SourceDeployments, "production", "", StatusFailure, hr(1), false, true},
		{"error in production is a failed attempt", SourceDeployments, "production", "", StatusError, hr(1), false, true},
		{"failure in staging is nothing", SourceDeployments, "staging", "", StatusFailure, hr(1), false, false},
		{"pending is nothing", SourceDeployments, "production", "", StatusPending, time.Time{}, false, false},
		{"canceled is nothing", SourceDeployments, "production", "", StatusCanceled, hr(1), false, false},
		{"a success with no finish time cannot be placed", SourceDeployments, "production", "", StatusSuccess, time.Time{}, false, false},
		{"a release is production whatever its environment", SourceReleases, "", "", StatusSuccess, hr(1), true, false},
		{"a deploy workflow run is production", SourceWorkflow, "deploy.yml", "", StatusSuccess, hr(1), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := DefaultRepoRules()
			rr.Source = tt.source
			d := Deployment{ID: 1, Environment: tt.env, EnvironmentTier: tt.tier, Status: tt.status, SHA: "a", CreatedAt: hr(0), FinishedAt: tt.finished}
			out := Derive(RepoHistory{Rules: rr, Deployments: []Deployment{d}}, DefaultRules()).Deployments[0]
			if out.Production != tt.prod || out.FailedAttempt != tt.attempt {
				t.Errorf("Production %v, FailedAttempt %v; want %v, %v", out.Production, out.FailedAttempt, tt.prod, tt.attempt)
			}
		})
	}
}

// shipped returns each change's DeploymentID, by change ID.
func shipped(h RepoHistory) map[int64]int64 {
	m := map[int64]int64{}
	for _, c := range h.Changes {
		m[c.ID] = c.DeploymentID
	}
	return m
}

func TestLinkChanges(t *testing.T) {
	tests := []struct {
		name        string
		rules       RepoRules
		changes     []Change
		deployments []Deployment
		want        map[int64]int64 // change → deployment (0: not shipped)
		wantIDs     map[int64][]int64
	}{
		{
			// D1 is the first deployment: by time, it ships c1 (merged before
			// it). D2's range holds c2's merge commit and c3's squash commit;
			// c4 was merged before D2 but is not in its range, so is not
			// shipped (commits, not time, decide).
			name:  "link by commits, first deployment falls back to time, squash sha",
			rules: linkRules(LinkCommits),
			changes: []Change{
				merged(1, hr(1), "m1"),
				merged(2, hr(11), "m2"),
				func() Change { c := merged(3, hr(12), ""); c.SquashSHA = "S3"; return c }(),
				merged(4, hr(13), "m4"),
			},
			deployments: []Deployment{
				deployed(10, "m1", hr(2)),
				deployed(20, "m3", hr(20), "m2", "x", "s3"),
			},
			want:    map[int64]int64{1: 10, 2: 20, 3: 20, 4: 0},
			wantIDs: map[int64][]int64{10: {1}, 20: {2, 3}},
		},
		{
			// D2's range was never fetched: by time from D1.CreatedAt (1h55m)
			// to D2.CreatedAt (19h55m), so c2 and c4 (c3 merged after D2).
			name:        "commits with no fetched range fall back to time",
			rules:       linkRules(LinkCommits),
			changes:     []Change{merged(1, hr(1), "m1"), merged(2, hr(11), "m2"), merged(3, hr(21), "m3"), merged(4, hr(13), "m4")},
			deployments: []Deployment{deployed(10, "m1", hr(2)), deployed(20, "m4", hr(20))},
			want:        map[int64]int64{1: 10, 2: 20, 3: 0, 4: 20},
			wantIDs:     map[int64][]int64{10: {1}, 20: {2, 4}},
		},
		{
			// D1 created at 9h55m, D2 at 19h55m. A change merged exactly at
			// D1.CreatedAt is in D1 ("at or before"); one merged into another
			// branch is never shipped by time; one merged after D2 waits.
			name:  "link by time",
			rules: linkRules(LinkTime),
			changes: []Change{
				merged(1, hr(5), "m1"),
				merged(2, hr(10).Add(-5*time.Minute), "m2"),
				merged(3, hr(15), "m3"),
				func() Change { c := merged(4, hr(15), "m4"); c.BaseBranch = "release-1"; return c }(),
				merged(5, hr(25), "m5"),
			},
			deployments: []Deployment{deployed(10, "m2", hr(10)), deployed(20, "m3", hr(20))},
			want:        map[int64]int64{1: 10, 2: 10, 3: 20, 4: 0, 5: 0},
			wantIDs:     map[int64][]int64{10: {1, 2}, 20: {3}},
		},
		{
			name: "source merges: each merge ships itself, by merge or squash sha",
			rules: func() RepoRules {
				rr := DefaultRepoRules()
				rr.Source = SourceMerges
				return rr
			}(),
			changes: []Change{
				merged(1, hr(1), "m1"),
				func() Change { c := merged(2, hr(2), ""); c.SquashSHA = "s2"; return c }(),
				merged(3, hr(3), "m3"),
			},
			deployments: []Deployment{
				{ID: 10, Environment: "production", SHA: "m1", Status: StatusSuccess, CreatedAt: hr(1), FinishedAt: hr(1)},
				{ID: 20, Environment: "production", SHA: "s2", Status: StatusSuccess, CreatedAt: hr(2), FinishedAt: hr(2)},
			},
			want:    map[int64]int64{1: 10, 2: 20, 3: 0},
			wantIDs: map[int64][]int64{10: {1}, 20: {2}},
		},
		{
			// A (ships c1), B (ships c2), A again (rollback: empty range), C
			// whose range A...C repeats B's commit: c2 stays shipped by B.
			name:  "a change is shipped once after a rollback (commits)",
			rules: linkRules(LinkCommits),
			changes: []Change{
				merged(1, hr(1), "A"), merged(2, hr(5), "B"), merged(3, hr(15), "C"),
			},
			deployments: []Deployment{
				deployed(10, "A", hr(2)),
				deployed(20, "B", hr(6), "B"),
				withRange(deployed(30, "A", hr(8))),
				deployed(40, "C", hr(16), "B", "C"),
			},
			want:    map[int64]int64{1: 10, 2: 20, 3: 40},
			wantIDs: map[int64][]int64{10: {1}, 20: {2}, 30: nil, 40: {3}},
		},
		{
			// By time, the rollback to A ships nothing (A holds nothing new):
			// c3, merged between B and the rollback, goes out with C, whose
			// time range starts at B (the last deployment of new code).
			name:    "time linking: a rollback ships nothing and the next deployment picks up",
			rules:   linkRules(LinkTime),
			changes: []Change{merged(1, hr(1), "A"), merged(2, hr(5), "B"), merged(3, hr(7), "x"), merged(4, hr(15), "C")},
			deployments: []Deployment{
				deployed(10, "A", hr(2)), deployed(20, "B", hr(6)), deployed(30, "A", hr(8)), deployed(40, "C", hr(16)),
			},
			want:    map[int64]int64{1: 10, 2: 20, 3: 40, 4: 40},
			wantIDs: map[int64][]int64{10: {1}, 20: {2}, 30: nil, 40: {3, 4}},
		},
		{
			// Two production environments: the first to go live ships c1; the
			// other region's first deployment finds nothing left to ship.
			name: "shipped by the first production deployment across environments",
			rules: func() RepoRules {
				rr := linkRules(LinkTime)
				rr.Environments = regexp.MustCompile(`^prod-`)
				return rr
			}(),
			changes: []Change{merged(1, hr(1), "A")},
			deployments: []Deployment{
				func() Deployment { d := deployed(20, "A", hr(3)); d.Environment = "prod-us"; return d }(),
				func() Deployment { d := deployed(10, "A", hr(2)); d.Environment = "prod-eu"; return d }(),
				func() Deployment { d := deployed(5, "A", hr(1.5)); d.Environment = "staging"; return d }(),
			},
			want:    map[int64]int64{1: 10},
			wantIDs: map[int64][]int64{10: {1}, 20: nil, 5: nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := RepoHistory{Rules: tt.rules, Changes: tt.changes, Deployments: tt.deployments}
			out := Derive(h, DefaultRules())
			if got := shipped(out); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("shipped = %v, want %v", got, tt.want)
			}
			deps := deploymentsByID(out.Deployments)
			for id, want := range tt.wantIDs {
				if got := deps[id].ChangeIDs; !slices.Equal(got, want) {
					t.Errorf("deployment %d ChangeIDs = %v, want %v", id, got, want)
				}
			}
			for _, c := range out.Changes {
				if c.DeploymentID != 0 && !c.DeployedAt.Equal(deps[c.DeploymentID].FinishedAt) {
					t.Errorf("change %d DeployedAt = %v, want its deployment's FinishedAt", c.ID, c.DeployedAt)
				}
			}
		})
	}
}

func TestRollbacksAndReruns(t *testing.T) {
	tests := []struct {
		name         string
		shas         []string // production deployments, one per hour
		wantRollback []bool
		wantFailed   []bool
	}{
		{"A, A re-run, B, A: only B failed", []string{"A", "A", "B", "A"},
			[]bool{false, false, false, true}, []bool{false, false, true, false}},
		{"A, B, A", []string{"A", "B", "A"},
			[]bool{false, false, true}, []bool{false, true, false}},
		{"A, B, C, A: B and C failed", []string{"A", "B", "C", "A"},
			[]bool{false, false, false, true}, []bool{false, true, true, false}},
		{"A, B, B: a re-run is no rollback", []string{"A", "B", "B"},
			[]bool{false, false, false}, []bool{false, false, false}},
		{"A, B, C, B, A: two rollbacks", []string{"A", "B", "C", "B", "A"},
			[]bool{false, false, false, true, true}, []bool{false, true, true, true, false}},
		{"sha case does not matter", []string{"abc", "DEF", "ABC"},
			[]bool{false, false, true}, []bool{false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var deps []Deployment
			for i, sha := range tt.shas {
				deps = append(deps, deployed(int64(i+1), sha, hr(float64(i+1))))
			}
			out := Derive(RepoHistory{Rules: linkRules(LinkCommits), Deployments: deps}, DefaultRules()).Deployments
			for i, d := range out {
				if d.Rollback != tt.wantRollback[i] || d.Failed != tt.wantFailed[i] {
					t.Errorf("D%d (%s): rollback %v failed %v; want %v, %v", i, d.SHA, d.Rollback, d.Failed, tt.wantRollback[i], tt.wantFailed[i])
				}
				if d.Failed && (d.FailureCause != FailureCauseRollback || d.RecoveredBy != RecoveredByRollback) {
					t.Errorf("D%d: cause %q, recovered by %q", i, d.FailureCause, d.RecoveredBy)
				}
				if d.Rollback && !d.Rework {
					t.Errorf("D%d: a rollback is rework", i)
				}
			}
		})
	}

	// In A, B, C, B, A: C is replaced first by the B at 4h, then again by A;
	// it recovered at the first rollback. B (2h) recovered at 5h.
	var deps []Deployment
	for i, sha := range []string{"A", "B", "C", "B", "A"} {
		deps = append(deps, deployed(int64(i+1), sha, hr(float64(i+1))))
	}
	out := deploymentsByID(Derive(RepoHistory{Rules: DefaultRepoRules(), Deployments: deps}, DefaultRules()).Deployments)
	if !out[3].RecoveredAt.Equal(hr(4)) || !out[2].RecoveredAt.Equal(hr(5)) || !out[4].RecoveredAt.Equal(hr(5)) {
		t.Errorf("recovered at: B %v, C %v, B' %v; want 5h, 4h, 5h", out[2].RecoveredAt, out[3].RecoveredAt, out[4].RecoveredAt)
	}

	// Rollbacks are per environment: A to prod-a, B to prod-b, A to prod-a
	// again is a re-run in prod-a.
	rr := DefaultRepoRules()
	rr.Environments = regexp.MustCompile(`^prod-`)
	perEnv := []Deployment{deployed(1, "A", hr(1)), deployed(2, "B", hr(2)), deployed(3, "A", hr(3))}
	perEnv[0].Environment, perEnv[1].Environment, perEnv[2].Environment = "prod-a", "prod-b", "prod-a"
	for _, d := range Derive(RepoHistory{Rules: rr, Deployments: perEnv}, DefaultRules()).Deployments {
		if d.Rollback || d.Failed {
			t.Errorf("D%d: rollback %v failed %v across environments", d.ID, d.Rollback, d.Failed)
		}
	}
}

func TestIncidentAttribution(t *testing.T) {
	rules := DefaultRules()
	rules.IncidentWindow = 24 * time.Hour
	staging := deployed(30, "s", hr(30))
	staging.Environment = "staging"
	attempt := deployed(31, "f", hr(30))
	attempt.Status = StatusFailure
	h := RepoHistory{
		Rules:       DefaultRepoRules(),
		Deployments: []Deployment{deployed(1, "A", hr(0)), deployed(2, "B", hr(10)), staging, attempt},
		Incidents: []Incident{
			{ID: 101, CreatedAt: hr(-1)},                  // before any deployment: unattributed
			{ID: 102, CreatedAt: hr(5)},                   // D1
			{ID: 103, CreatedAt: hr(10)},                  // D2 finished at 10h, not strictly before: D1 (10h ≤ 24h)
			{ID: 104, CreatedAt: hr(31)},                  // D2 (staging and the failed attempt do not count): 21h
			{ID: 105, CreatedAt: hr(34)},                  // D2, exactly the window: attributed
			{ID: 106, CreatedAt: hr(34).Add(time.Second)}, // beyond the window: unattributed
		},
	}
	out := Derive(h, rules)
	want := map[int64]int64{101: 0, 102: 1, 103: 1, 104: 2, 105: 2, 106: 0}
	for _, in := range out.Incidents {
		if in.DeploymentID != want[in.ID] {
			t.Errorf("incident %d attributed to %d, want %d", in.ID, in.DeploymentID, want[in.ID])
		}
	}
	deps := deploymentsByID(out.Deployments)
	if !slices.Equal(deps[1].IncidentIDs, []int64{102, 103}) || !slices.Equal(deps[2].IncidentIDs, []int64{104, 105}) {
		t.Errorf("IncidentIDs: D1 %v, D2 %v", deps[1].IncidentIDs, deps[2].IncidentIDs)
	}
	for _, id := range []int64{1, 2} {
		if d := deps[id]; !d.Failed || d.FailureCause != FailureCauseIncident || !d.RecoveredAt.IsZero() {
			t.Errorf("D%d: failed %v cause %q recovered %v; want failed by incident, open", id, d.Failed, d.FailureCause, d.RecoveredAt)
		}
	}
	if deps[30].Failed || deps[31].Failed || len(deps[31].IncidentIDs) > 0 {
		t.Error("staging deployments and failed attempts never fail a change")
	}
}

func TestRecovery(t *testing.T) {
	// A at 0h is live; B goes out at 10h; an incident is opened at 11h.
	base := func(incidents []Incident, deps ...Deployment) Deployment {
		h := RepoHistory{
			Rules:       DefaultRepoRules(),
			Deployments: append([]Deployment{deployed(1, "A", hr(0)), deployed(2, "B", hr(10))}, deps...),
			Incidents:   incidents,
		}
		return deploymentsByID(Derive(h, DefaultRules()).Deployments)[2]
	}
	tests := []struct {
		name      string
		incidents []Incident
		rollback  bool // A redeployed at 12h
		cause     string
		recovered time.Time
		by        string
	}{
		{"resolved incidents: the latest resolution", []Incident{
			{ID: 1, CreatedAt: hr(11), ResolvedAt: hr(13)}, {ID: 2, CreatedAt: hr(11.5), ResolvedAt: hr(12)},
		}, false, FailureCauseIncident, hr(13), RecoveredByIncidentResolved},
		{"one incident still open: not recovered", []Incident{
			{ID: 1, CreatedAt: hr(11), ResolvedAt: hr(13)}, {ID: 2, CreatedAt: hr(11.5)},
		}, false, FailureCauseIncident, time.Time{}, ""},
		{"open incident, but rolled back: recovered by the rollback", []Incident{
			{ID: 1, CreatedAt: hr(11)},
		}, true, FailureCauseIncidentAndRollback, hr(12), RecoveredByRollback},
		{"rollback earlier than the incident's resolution", []Incident{
			{ID: 1, CreatedAt: hr(11), ResolvedAt: hr(20)},
		}, true, FailureCauseIncidentAndRollback, hr(12), RecoveredByRollback},
		{"incident resolved before the rollback", []Incident{
			{ID: 1, CreatedAt: hr(11), ResolvedAt: hr(11.5)},
		}, true, FailureCauseIncidentAndRollback, hr(11.5), RecoveredByIncidentResolved},
		{"rollback alone", nil, true, FailureCauseRollback, hr(12), RecoveredByRollback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var extra []Deployment
			if tt.rollback {
				extra = append(extra, deployed(3, "A", hr(12)))
			}
			d := base(tt.incidents, extra...)
			if !d.Failed || d.FailureCause != tt.cause || !d.RecoveredAt.Equal(tt.recovered) || d.RecoveredBy != tt.by {
				t.Errorf("failed %v cause %q recovered %v by %q; want %q %v %q", d.Failed, d.FailureCause, d.RecoveredAt, d.RecoveredBy, tt.cause, tt.recovered, tt.by)
			}
		})
	}
}

func TestRework(t *testing.T) {
	fix := func(id int64, title string, labels ...string) Change {
		c := merged(id, hr(float64(id)), "m"+string(rune('0'+id)))
		c.Title, c.Labels = title, labels
		return c
	}
	bot := func(c Change) Change { c.Author = "dependabot[bot]"; return c }
	tests := []struct {
		name    string
		changes []Change // all shipped by one deployment
		rework  bool
	}{
		{"all fixes (label, case-insensitive; title)", []Change{fix(1, "Null check", "BUG"), fix(2, "hotfix: cache key")}, true},
		{"a single revert", []Change{fix(1, "Revert \"feature\"")}, true},
		{"fix and feature mixed: a planned release", []Change{fix(1, "fix: typo"), fix(2, "Add export")}, false},
		{"a bot's fix alone is planned upkeep", []Change{bot(fix(1, "fix(deps): bump x"))}, false},
		{"a bot change beside a hotfix does not break it", []Change{fix(1, "fix: crash"), bot(fix(2, "chore(deps): bump y"))}, true},
		{"a word that only starts with fix is not a fix", []Change{fix(1, "fixture update")}, false},
		{"no change at all", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var shas []string
			for _, c := range tt.changes {
				shas = append(shas, c.MergeSHA)
			}
			h := RepoHistory{
				Rules:       DefaultRepoRules(),
				Changes:     tt.changes,
				Deployments: []Deployment{deployed(1, "base", hr(0)), withRange(deployed(2, "head", hr(20)), shas...)},
			}
			d := deploymentsByID(Derive(h, DefaultRules()).Deployments)[2]
			if len(d.ChangeIDs) != len(tt.changes) {
				t.Fatalf("shipped %v, want all %d changes", d.ChangeIDs, len(tt.changes))
			}
			if d.Rework != tt.rework {
				t.Errorf("Rework = %v, want %v", d.Rework, tt.rework)
			}
		})
	}
}

func TestDeriveCopiesAndIsIdempotent(t *testing.T) {
	c := merged(1, hr(1), "A")
	c.Reviews = []Review{{Author: "bob", State: "approved", At: hr(0.5)}}
	h := RepoHistory{
		Rules:       DefaultRepoRules(),
		Changes:     []Change{c, merged(2, hr(5), "B")},
		Deployments: []Deployment{deployed(10, "A", hr(2)), deployed(20, "B", hr(6), "B"), withRange(deployed(30, "A", hr(8)))},
		Incidents:   []Incident{{ID: 7, CreatedAt: hr(7), ResolvedAt: hr(9)}},
	}
	snapshot := RepoHistory{
		Changes:     slices.Clone(h.Changes),
		Deployments: slices.Clone(h.Deployments),
		Incidents:   slices.Clone(h.Incidents),
	}
	once := Derive(h, DefaultRules())
	if !reflect.DeepEqual(h.Changes, snapshot.Changes) || !reflect.DeepEqual(h.Deployments, snapshot.Deployments) ||
		!reflect.DeepEqual(h.Incidents, snapshot.Incidents) {
		t.Error("Derive changed its input")
	}
	if once.Changes[0].DeploymentID != 10 || !once.Deployments[1].Failed {
		t.Fatalf("derive did not run: %+v", once)
	}
	if twice := Derive(once, DefaultRules()); !reflect.DeepEqual(once, twice) {
		t.Error("deriving a derived history changed it")
	}
}
