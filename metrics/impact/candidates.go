package impact

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/stats"
)

// Candidates: decisions the team has not recorded yet, suggested from the
// data (docs/decision-impact.md, "Candidates"). Three sources:
//
//   - a repository that appears inside the synced history (a service split
//     out, a new component): its creation or first activity;
//   - very large merged changes labelled or titled as a refactor, a
//     migration or a rewrite;
//   - a sustained shift in a repository's weekly lead time, deployment
//     count, change failure rate or PR size, found by stats.DetectChangePoints.
//
// A suggestion is left out when a recorded decision, or an answer the user
// gave (dismissed, accepted), lies near the same day and scope.

// Candidate sources.
const (
	CandidateNewRepo     = "new-repo"
	CandidateLargeChange = "large-change"
	CandidateShift       = "shift"
)

// Candidate is a suggested decision.
type Candidate struct {
	ID     string   `json:"id"`     // stable for the same data: what `accept` and `dismiss` take
	Date   string   `json:"date"`   // YYYY-MM-DD in the rules' timezone
	Source string   `json:"source"` // new-repo, large-change or shift
	Title  string   `json:"title"`  // a suggested title
	Kind   string   `json:"kind"`   // a suggested kind
	Team   string   `json:"team"`   // the suggested scope: a team, or
	Repos  []string `json:"repos"`  // some repos
	// Evidence is Reasons in words (render.ExplainCandidates writes it).
	Evidence []string `json:"evidence"`
	Strength float64  `json:"strength"` // for ordering: the largest relative shift, size ratio, …
	Reasons  []Reason `json:"-"`
	day      time.Time
}

// A Reason is one piece of a candidate's evidence, as data: RepoCreated,
// FirstActivity, FirstProduction, TeamRepos, LargeChange or Shift;
// render.ExplainCandidates says it in words.
type Reason interface{ reason() }

// RepoCreated: the repository was created at the provider on Day.
type RepoCreated struct{ Repo, Day string }

// FirstActivity: the repository's first change or deployment is on Day;
// the synced history starts on HistoryStart.
type FirstActivity struct{ Day, HistoryStart string }

// FirstProduction: its first production deployment is on Day, and Count
// have finished since (that one included).
type FirstProduction struct {
	Day   string
	Count int
}

// TeamRepos: the repository belongs to Team, with the Others.
type TeamRepos struct {
	Team   string
	Others []string
}

// LargeChange: a very large change merged on Day, against the median size
// of its repo's changes.
type LargeChange struct {
	Number     int64
	Title, Day string
	Lines      int
	RepoMedian float64
}

// Shift: a weekly series (Name, in Unit: seconds, count, share or lines)
// moved from a mean of Before to one of After in the week of Week, a
// Relative change (+Inf from 0), with the permutation test's P.
type Shift struct {
	Name, Unit, Week           string
	Before, After, Relative, P float64
}

func (RepoCreated) reason()     {}
func (FirstActivity) reason()   {}
func (FirstProduction) reason() {}
func (TeamRepos) reason()       {}
func (LargeChange) reason()     {}
func (Shift) reason()           {}

// MarshalJSON writes the candidate with team null when the scope is repos
// or everything, as decisions are written.
func (c Candidate) MarshalJSON() ([]byte, error) {
	type plain Candidate
	out := struct {
		plain
		Team *string `json:"team"`
	}{plain: plain(c)}
	if c.Team != "" {
		out.Team = &c.Team
	}
	return json.Marshal(out)
}

// CandidateRepo is a repository as the candidate search sees it.
type CandidateRepo struct {
	ID        int64
	Name      string
	CreatedAt time.Time // at the provider; zero when unknown
	Team      string    // the (first) team it belongs to; "" for none
}

// CandidateScope is the day and scope of a recorded decision or of an
// answered candidate: a candidate near it is not suggested.
type CandidateScope struct {
	Day    time.Time // 00:00 in the rules' timezone
	Source string    // for answers: the candidate's source; "" for decisions (any source)
	ID     string    // for answers: the candidate's id
	Team   string
	Repos  []string // with Team "" and no repos: everything
}

// CandidateInput is what SuggestDecisions reads.
type CandidateInput struct {
	Repos    []CandidateRepo
	Teams    map[string][]string // team → repo names
	Dataset  metrics.Dataset     // every repo's whole history (rows carry RepoID)
	Rules    metrics.Rules
	Now      time.Time
	Recorded []CandidateScope // recorded decisions
	Answered []CandidateScope // dismissed or accepted candidates
	// Stop, when set, is asked before each repo whether to go on: an
	// error from it abandons the search, and SuggestDecisions returns it.
	Stop func() error
}

// Candidate search settings.
const (
	// CandidateNearDays: a recorded decision or an answer this close (in
	// days, either side) to a candidate of the same scope covers it.
	CandidateNearDays = 21
	// newRepoMinWeeks: a repository is "new" when it appears at least this
	// long after the synced history starts (before, it is just where the
	// sync began).
	newRepoMinWeeks = 4
	// largeChangeMinLines and largeChangeMedianFactor: a change is very
	// large with at least this many lines and this many times its repo's
	// median PR size.
	largeChangeMinLines     = 1500
	largeChangeMedianFactor = 20
	// shiftMinRelative: the least relative change of a measure's mean that
	// counts as a shift worth a suggestion (and 5 points for a rate).
	shiftMinRelative = 0.25
)

// LargeChangePattern is what a large change's title or label must match to
// be a refactor, a migration or a rewrite.
var LargeChangePattern = regexp.MustCompile(`(?i)\b(refactor\w*|migrat\w*|rewrit\w*|rewrote|re-?architect\w*|extract\w*|split\w*|replac\w*|mov(e|ed|ing)\s+\w+\s+(to|into|out))`)

// SuggestDecisions returns the candidates, strongest first within each day,
// by day (newest first). Its only error is Stop's.
func SuggestDecisions(in CandidateInput) ([]Candidate, error) {
	loc := in.Rules.Timezone()
	byRepo := splitByRepo(in.Dataset)
	start, ok := historyStart(in.Dataset)
	if !ok {
		return []Candidate{}, nil
	}
	end := metrics.WeekStart(in.Now, loc)
	var out []Candidate
	for _, repo := range in.Repos {
		if in.Stop != nil {
			if err := in.Stop(); err != nil {
				return nil, err
			}
		}
		ds := byRepo[repo.ID]
		out = append(out, newRepoCandidate(repo, ds, start, in.Teams, loc)...)
		out = append(out, largeChangeCandidates(repo, ds, in.Rules, loc)...)
		out = append(out, shiftCandidates(repo, ds, in.Rules, end, loc)...)
	}
	out = mergeCandidates(out, in.Teams)
	kept := out[:0]
	for _, c := range out {
		c.ID = candidateID(c)
		if covered(c, in.Recorded, in.Teams) || answered(c, in.Answered, in.Teams) {
			continue
		}
		kept = append(kept, c)
	}
	slices.SortStableFunc(kept, func(a, b Candidate) int {
		return cmp.Or(b.day.Compare(a.day), cmp.Compare(b.Strength, a.Strength), cmp.Compare(a.ID, b.ID))
	})
	if kept == nil {
		return []Candidate{}, nil
	}
	return kept, nil
}

func splitByRepo(ds metrics.Dataset) map[int64]metrics.Dataset {
	out := map[int64]metrics.Dataset{}
	for _, c := range ds.Changes {
		d := out[c.RepoID]
		d.Changes = append(d.Changes, c)
		out[c.RepoID] = d
	}
	for _, dep := range ds.Deployments {
		d := out[dep.RepoID]
		d.Deployments = append(d.Deployments, dep)
		out[dep.RepoID] = d
	}
	for _, in := range ds.Incidents {
		d := out[in.RepoID]
		d.Incidents = append(d.Incidents, in)
		out[in.RepoID] = d
	}
	for _, r := range ds.CIRuns {
		d := out[r.RepoID]
		d.CIRuns = append(d.CIRuns, r)
		out[r.RepoID] = d
	}
	return out
}

// firstActivity is a dataset's earliest change or deployment.
func firstActivity(ds metrics.Dataset) (time.Time, bool) {
	var first time.Time
	see := func(t time.Time) {
		if !t.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	for _, c := range ds.Changes {
		see(c.CreatedAt)
	}
	for _, d := range ds.Deployments {
		see(d.FinishedAt)
		see(d.CreatedAt)
	}
	return first, !first.IsZero()
}

func historyStart(ds metrics.Dataset) (time.Time, bool) { return firstActivity(ds) }

func candidateDay(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, l.Location())
}

func candidateDate(t time.Time) string { return t.Format(time.DateOnly) }

// scopeOf suggests a scope for a repo: its team when it has one (a split-out
// service is the team's decision), or the repo alone.
func scopeOf(repo CandidateRepo) (string, []string) {
	if repo.Team != "" {
		return repo.Team, []string{}
	}
	return "", []string{repo.Name}
}

func newRepoCandidate(repo CandidateRepo, ds metrics.Dataset, historyFrom time.Time, teams map[string][]string, loc *time.Location) []Candidate {
	first, ok := firstActivity(ds)
	if !ok {
		return nil
	}
	appeared := first
	if !repo.CreatedAt.IsZero() && repo.CreatedAt.Before(first) && !repo.CreatedAt.Before(historyFrom) {
		appeared = repo.CreatedAt
	}
	if appeared.Before(historyFrom.AddDate(0, 0, 7*newRepoMinWeeks)) {
		return nil
	}
	team, repos := scopeOf(repo)
	var reasons []Reason
	if !repo.CreatedAt.IsZero() {
		reasons = append(reasons, RepoCreated{Repo: repo.Name, Day: candidateDate(repo.CreatedAt.In(loc))})
	}
	reasons = append(reasons, FirstActivity{Day: candidateDate(first.In(loc)), HistoryStart: candidateDate(historyFrom.In(loc))})
	if prod := productionOf(ds); len(prod) > 0 {
		reasons = append(reasons, FirstProduction{Day: candidateDate(prod[0].FinishedAt.In(loc)), Count: len(prod)})
	}
	if team != "" && len(teams[team]) > 1 {
		reasons = append(reasons, TeamRepos{Team: team, Others: otherRepos(teams[team], repo.Name)})
	}
	d := candidateDay(appeared, loc)
	return []Candidate{{
		Date: candidateDate(d), day: d, Source: CandidateNewRepo,
		Title: fmt.Sprintf("Start %s as its own service", repo.Name), Kind: "architecture",
		Team: team, Repos: repos, Reasons: reasons, Strength: 1,
	}}
}

func otherRepos(names []string, not string) []string {
	var out []string
	for _, n := range names {
		if n != not {
			out = append(out, n)
		}
	}
	return out
}

func productionOf(ds metrics.Dataset) []metrics.Deployment {
	return metrics.DeploymentsWhere(ds, func(d metrics.Deployment) bool { return d.Production && !d.FinishedAt.IsZero() })
}

func largeChangeCandidates(repo CandidateRepo, ds metrics.Dataset, r metrics.Rules, loc *time.Location) []Candidate {
	var sizes []float64
	var merged []metrics.Change
	for _, c := range ds.Changes {
		if c.MergedAt.IsZero() || !r.CountsChange(c) {
			continue
		}
		if n, ok := metrics.PRSizeLines(c); ok {
			sizes = append(sizes, float64(n))
			merged = append(merged, c)
		}
	}
	median, ok := stats.Median(sizes)
	if !ok {
		return nil
	}
	threshold := math.Max(largeChangeMinLines, largeChangeMedianFactor*median)
	var large []metrics.Change
	for _, c := range merged {
		n, _ := metrics.PRSizeLines(c)
		if float64(n) >= threshold && matchesRefactor(c) {
			large = append(large, c)
		}
	}
	slices.SortStableFunc(large, func(a, b metrics.Change) int { return cmp.Or(a.MergedAt.Compare(b.MergedAt), cmp.Compare(a.ID, b.ID)) })
	// Changes within CandidateNearDays of each other are one candidate.
	var out []Candidate
	for i := 0; i < len(large); {
		j := i + 1
		for j < len(large) && large[j].MergedAt.Sub(large[j-1].MergedAt) <= CandidateNearDays*24*time.Hour {
			j++
		}
		group := large[i:j]
		biggest := slices.MaxFunc(group, func(a, b metrics.Change) int {
			na, _ := metrics.PRSizeLines(a)
			nb, _ := metrics.PRSizeLines(b)
			return cmp.Compare(na, nb)
		})
		team, repos := "", []string{repo.Name} // a refactor is its repo's decision
		d := candidateDay(group[0].MergedAt, loc)
		var reasons []Reason
		for _, c := range group {
			n, _ := metrics.PRSizeLines(c)
			reasons = append(reasons, LargeChange{Number: c.Number, Title: c.Title, Day: candidateDate(c.MergedAt.In(loc)), Lines: n, RepoMedian: median})
		}
		n, _ := metrics.PRSizeLines(biggest)
		out = append(out, Candidate{
			Date: candidateDate(d), day: d, Source: CandidateLargeChange,
			Title: biggest.Title, Kind: kindFor(biggest.Title + " " + strings.Join(biggest.Labels, " ")),
			Team: team, Repos: repos, Reasons: reasons, Strength: float64(n) / math.Max(median, 1),
		})
		i = j
	}
	return out
}

func matchesRefactor(c metrics.Change) bool {
	if LargeChangePattern.MatchString(c.Title) {
		return true
	}
	for _, l := range c.Labels {
		if LargeChangePattern.MatchString(l) || strings.EqualFold(l, "tech-debt") || strings.EqualFold(l, "architecture") {
			return true
		}
	}
	return false
}

// kindFor guesses a decision kind from words.
func kindFor(text string) string {
	t := strings.ToLower(text)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(t, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("cache", "redis", "memcache", "cdn"):
		return "caching"
	case has("orm", " sql", "query", "queries", "database", "schema", "postgres", "mysql"):
		return "data-access"
	case has("service", "monolith", "split", "extract", "architecture", "module"):
		return "architecture"
	case has("ci ", "pipeline", "build", "tooling", "lint"):
		return "tooling"
	}
	return "refactor"
}

// shiftSeries are the weekly series searched for shifts.
var shiftSeries = []struct {
	key, name, unit string
	value           func(ds metrics.Dataset, w metrics.Window, r metrics.Rules) (float64, bool)
}{
	{"lead_time", "lead time (weekly median)", "seconds", func(ds metrics.Dataset, w metrics.Window, r metrics.Rules) (float64, bool) {
		var xs []float64
		for _, t := range metrics.LeadTimeRows(ds, w, r) {
			xs = append(xs, t.LeadTime.Seconds())
		}
		return stats.Median(xs)
	}},
	{"deployments", "production deployments a week", "count", func(ds metrics.Dataset, w metrics.Window, r metrics.Rules) (float64, bool) {
		return float64(len(metrics.ProductionDeployments(ds, w))), true
	}},
	{"change_failure_rate", "change failure rate", "share", func(ds metrics.Dataset, w metrics.Window, r metrics.Rules) (float64, bool) {
		prod := metrics.ProductionDeployments(ds, w)
		if len(prod) == 0 {
			return 0, false
		}
		failed := 0
		for _, d := range prod {
			if d.Failed {
				failed++
			}
		}
		return float64(failed) / float64(len(prod)), true
	}},
	{"pr_size", "PR size (weekly median)", "lines", func(ds metrics.Dataset, w metrics.Window, r metrics.Rules) (float64, bool) {
		var xs []float64
		for _, c := range metrics.MergedChanges(ds, w, r) {
			if n, ok := metrics.PRSizeLines(c); ok {
				xs = append(xs, float64(n))
			}
		}
		return stats.Median(xs)
	}},
}

func shiftCandidates(repo CandidateRepo, ds metrics.Dataset, r metrics.Rules, end time.Time, loc *time.Location) []Candidate {
	first, ok := firstActivity(ds)
	if !ok {
		return nil
	}
	// Weeks from the repo's first whole week of activity to the last whole
	// week: a new repo going from nothing to something is not a shift.
	weeks := metrics.Weeks(metrics.Window{From: first, To: end}, loc)
	if len(weeks) < 8 {
		return nil
	}
	type found struct {
		at     time.Time
		shift  Shift
		rel, p float64
	}
	var shifts []found
	for _, s := range shiftSeries {
		var xs []float64
		var at []time.Time
		for _, w := range weeks {
			if v, ok := s.value(ds, w, r); ok {
				xs = append(xs, v)
				at = append(at, w.From)
			}
		}
		for _, cp := range stats.DetectChangePoints(xs, stats.ChangePointOptions{}) {
			rel := math.Inf(1)
			if cp.MeanBefore != 0 {
				rel = cp.MeanAfter/cp.MeanBefore - 1
			}
			if math.Abs(rel) < shiftMinRelative || (s.unit == "share" && math.Abs(cp.MeanAfter-cp.MeanBefore) < 0.05) {
				continue
			}
			shifts = append(shifts, found{at: at[cp.Index], rel: math.Abs(rel), p: cp.P, shift: Shift{Name: s.name, Unit: s.unit,
				Week: candidateDate(at[cp.Index].In(loc)), Before: cp.MeanBefore, After: cp.MeanAfter, Relative: rel, P: cp.P}})
		}
	}
	slices.SortStableFunc(shifts, func(a, b found) int { return a.at.Compare(b.at) })
	// Shifts of several measures within CandidateNearDays are one candidate.
	var out []Candidate
	for i := 0; i < len(shifts); {
		j := i + 1
		for j < len(shifts) && shifts[j].at.Sub(shifts[i].at) <= CandidateNearDays*24*time.Hour {
			j++
		}
		group := shifts[i:j]
		team, repos := "", []string{repo.Name}
		// The group is dated by its clearest shift: the smallest p-value,
		// then the largest relative change.
		strongest := slices.MinFunc(group, func(a, b found) int { return cmp.Or(cmp.Compare(a.p, b.p), cmp.Compare(b.rel, a.rel)) })
		d := candidateDay(strongest.at, loc)
		var reasons []Reason
		strength := 0.0
		for _, s := range group {
			reasons = append(reasons, s.shift)
			strength = math.Max(strength, math.Min(s.rel, 10))
		}
		out = append(out, Candidate{
			Date: candidateDate(d), day: d, Source: CandidateShift,
			Title: fmt.Sprintf("What changed in %s in the week of %s?", repo.Name, candidateDate(d)), Kind: "other",
			Team: team, Repos: repos, Reasons: reasons, Strength: strength,
		})
		i = j
	}
	return out
}

// candidateMergeDays: suggestions of different sources this close in days,
// in overlapping scopes, are one decision with more evidence (a new repo,
// the change that extracted it, the shift in its old home).
const candidateMergeDays = 7

var sourcePriority = map[string]int{CandidateNewRepo: 0, CandidateLargeChange: 1, CandidateShift: 2}

// mergeCandidates folds each suggestion into an earlier one of higher
// priority (new repo, then large change, then shift) that lies within
// candidateMergeDays in an overlapping scope. The merged suggestion keeps
// the first one's day, title, kind and source, takes the broader scope, and
// gathers the evidence.
func mergeCandidates(cands []Candidate, teams map[string][]string) []Candidate {
	slices.SortStableFunc(cands, func(a, b Candidate) int {
		return cmp.Or(cmp.Compare(sourcePriority[a.Source], sourcePriority[b.Source]), a.day.Compare(b.day), cmp.Compare(b.Strength, a.Strength))
	})
	var out []Candidate
	for _, c := range cands {
		merged := false
		for i := range out {
			m := &out[i]
			d := c.day.Sub(m.day)
			if d > candidateMergeDays*24*time.Hour || d < -candidateMergeDays*24*time.Hour ||
				!overlaps(repoSet(m.Team, m.Repos, teams), repoSet(c.Team, c.Repos, teams)) {
				continue
			}
			m.Reasons = append(m.Reasons, c.Reasons...)
			m.Strength = math.Max(m.Strength, c.Strength)
			m.Team, m.Repos = broader(m.Team, m.Repos, c.Team, c.Repos, teams)
			merged = true
			break
		}
		if !merged {
			out = append(out, c)
		}
	}
	return out
}

// broader is the scope that covers both: a team that holds every repo of
// both, or the union of the repos.
func broader(teamA string, reposA []string, teamB string, reposB []string, teams map[string][]string) (string, []string) {
	all := map[string]bool{}
	for r := range repoSet(teamA, reposA, teams) {
		all[r] = true
	}
	for r := range repoSet(teamB, reposB, teams) {
		all[r] = true
	}
	for _, team := range []string{teamA, teamB} {
		if team == "" {
			continue
		}
		covers := true
		for r := range all {
			if !slices.Contains(teams[team], r) {
				covers = false
			}
		}
		if covers {
			return team, []string{}
		}
	}
	union := slices.Sorted(maps.Keys(all))
	return "", union
}

func candidateID(c Candidate) string {
	repos := slices.Clone(c.Repos)
	slices.Sort(repos)
	sum := sha256.Sum256([]byte(c.Source + "|" + c.Team + "|" + strings.Join(repos, ",") + "|" + c.Date))
	return "c" + hex.EncodeToString(sum[:4])
}

// repoSet is the repos a scope covers; nil means everything.
func repoSet(team string, repos []string, teams map[string][]string) map[string]bool {
	if team == "" && len(repos) == 0 {
		return nil
	}
	set := map[string]bool{}
	for _, r := range repos {
		set[r] = true
	}
	for _, r := range teams[team] {
		set[r] = true
	}
	return set
}

func overlaps(a, b map[string]bool) bool {
	if a == nil || b == nil {
		return true
	}
	for r := range a {
		if b[r] {
			return true
		}
	}
	return false
}

func candidateNear(a, b time.Time) bool {
	d := a.Sub(b)
	return d <= CandidateNearDays*24*time.Hour && d >= -CandidateNearDays*24*time.Hour
}

func covered(c Candidate, recorded []CandidateScope, teams map[string][]string) bool {
	mine := repoSet(c.Team, c.Repos, teams)
	for _, d := range recorded {
		if candidateNear(c.day, d.Day) && overlaps(mine, repoSet(d.Team, d.Repos, teams)) {
			return true
		}
	}
	return false
}

func answered(c Candidate, answers []CandidateScope, teams map[string][]string) bool {
	mine := repoSet(c.Team, c.Repos, teams)
	for _, a := range answers {
		if a.ID == c.ID {
			return true
		}
		if a.Source == c.Source && candidateNear(c.day, a.Day) && overlaps(mine, repoSet(a.Team, a.Repos, teams)) {
			return true
		}
	}
	return false
}
