package web

import (
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
)

// The rows of the JSON API: durations in seconds, times in UTC (RFC 3339),
// null where a value does not exist. Fields may be added, never renamed.

type apiChange struct {
	Repo            string     `json:"repo"`
	Number          int64      `json:"number"`
	Title           string     `json:"title"`
	Author          string     `json:"author"`
	URL             string     `json:"url"`
	State           string     `json:"state"`
	Bot             bool       `json:"bot"`
	Fix             bool       `json:"fix"`
	CreatedAt       time.Time  `json:"created_at"`
	MergedAt        *time.Time `json:"merged_at"`
	DeployedAt      *time.Time `json:"deployed_at"`
	SizeLines       *int       `json:"size_lines"`
	LeadTimeSeconds *float64   `json:"lead_time_seconds"`
	CodingSeconds   *float64   `json:"coding_seconds"`
	PickupSeconds   *float64   `json:"pickup_seconds"`
	ReviewSeconds   *float64   `json:"review_seconds"`
	DeploySeconds   *float64   `json:"deploy_seconds"`
}

type apiDeployment struct {
	ID              int64          `json:"id"` // its row's anchor: deployment-ID
	Repo            string         `json:"repo"`
	Environment     string         `json:"environment"`
	SHA             string         `json:"sha"`
	URL             string         `json:"url"`
	Status          string         `json:"status"`
	FinishedAt      *time.Time     `json:"finished_at"`
	Failed          bool           `json:"failed"`
	FailureCause    string         `json:"failure_cause"`
	Rollback        bool           `json:"rollback"`
	Rework          bool           `json:"rework"`
	RecoveredAt     *time.Time     `json:"recovered_at"`
	RecoveredBy     string         `json:"recovered_by"`
	RecoverySeconds *float64       `json:"recovery_seconds"`
	Changes         []apiChangeRef `json:"changes"` // every change it shipped, bots last
	Incidents       []apiIncident  `json:"incidents"`
	RolledBackBy    *apiDeployRef  `json:"rolled_back_by"`
}

type apiChangeRef struct {
	Repo   string `json:"repo"`
	Number int64  `json:"number"`
	Title  string `json:"title"`
	URL    string `json:"url"`
	Fix    bool   `json:"fix"`
	Bot    bool   `json:"bot"`
}

type apiDeployRef struct {
	SHA        string    `json:"sha"`
	URL        string    `json:"url"`
	FinishedAt time.Time `json:"finished_at"`
}

type apiIncident struct {
	Repo        string     `json:"repo"`
	Number      int64      `json:"number"`
	Title       string     `json:"title"`
	URL         string     `json:"url"`
	CreatedAt   time.Time  `json:"created_at"`
	ResolvedAt  *time.Time `json:"resolved_at"`
	OpenSeconds *float64   `json:"open_seconds"`
	Attributed  bool       `json:"attributed"`
}

type apiCIRun struct {
	Repo            string     `json:"repo"`
	Name            string     `json:"name"`
	Branch          string     `json:"branch"`
	Conclusion      string     `json:"conclusion"`
	URL             string     `json:"url"`
	StartedAt       *time.Time `json:"started_at"`
	FinishedAt      *time.Time `json:"finished_at"`
	DurationSeconds *float64   `json:"duration_seconds"`
}

func ptrTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func ptrSeconds(p metrics.PartDuration) *float64 {
	if !p.Known {
		return nil
	}
	s := p.Duration.Seconds()
	return &s
}

func toAPIChange(v *engine.View, c metrics.Change) apiChange {
	a := apiChange{
		Repo: v.RepoName(c.RepoID), Number: c.Number, Title: c.Title, Author: c.Author, URL: c.URL, State: c.State,
		Bot: v.Rules.IsBotChange(c), Fix: v.Rules.IsFix(c) && !v.Rules.IsBotChange(c),
		CreatedAt: c.CreatedAt.UTC(), MergedAt: ptrTime(c.MergedAt), DeployedAt: ptrTime(c.DeployedAt),
	}
	if n, ok := metrics.PRSizeLines(c); ok {
		a.SizeLines = &n
	}
	return a
}

func toAPITiming(v *engine.View, t metrics.ChangeTiming) apiChange {
	a := toAPIChange(v, t.Change)
	lead := t.LeadTime.Seconds()
	a.LeadTimeSeconds = &lead
	a.CodingSeconds, a.PickupSeconds, a.ReviewSeconds, a.DeploySeconds = ptrSeconds(t.Coding), ptrSeconds(t.Pickup), ptrSeconds(t.Review), ptrSeconds(t.Deploy)
	return a
}

func toAPIIncident(v *engine.View, in metrics.Incident) apiIncident {
	a := apiIncident{
		Repo: v.RepoName(in.RepoID), Number: in.Number, Title: in.Title, URL: in.URL,
		CreatedAt: in.CreatedAt.UTC(), ResolvedAt: ptrTime(in.ResolvedAt), Attributed: in.DeploymentID != 0,
	}
	if !in.ResolvedAt.IsZero() {
		s := max(in.ResolvedAt.Sub(in.CreatedAt), 0).Seconds()
		a.OpenSeconds = &s
	}
	return a
}

func toAPIDeployment(v *engine.View, d engine.DeploymentDetail) apiDeployment {
	a := apiDeployment{
		ID: d.ID, Repo: d.Repo, Environment: d.Environment, SHA: d.SHA, URL: d.URL, Status: d.Status, FinishedAt: ptrTime(d.FinishedAt),
		Failed: d.Failed, FailureCause: d.FailureCause, Rollback: d.Rollback, Rework: d.Rework,
		RecoveredAt: ptrTime(d.RecoveredAt), RecoveredBy: d.RecoveredBy,
		Changes: []apiChangeRef{}, Incidents: []apiIncident{},
	}
	if !d.RecoveredAt.IsZero() {
		s := max(d.RecoveredAt.Sub(d.FinishedAt), 0).Seconds()
		a.RecoverySeconds = &s
	}
	for _, c := range botsLast(d.Changes, v.Rules) {
		bot := v.Rules.IsBotChange(c)
		a.Changes = append(a.Changes, apiChangeRef{Repo: v.RepoName(c.RepoID), Number: c.Number, Title: c.Title, URL: c.URL, Fix: v.Rules.IsFix(c) && !bot, Bot: bot})
	}
	for _, in := range d.Incidents {
		a.Incidents = append(a.Incidents, toAPIIncident(v, in))
	}
	if d.RolledBackBy != nil {
		a.RolledBackBy = &apiDeployRef{SHA: d.RolledBackBy.SHA, URL: d.RolledBackBy.URL, FinishedAt: d.RolledBackBy.FinishedAt.UTC()}
	}
	return a
}

func toAPICIRun(v *engine.View, r metrics.CIRun) apiCIRun {
	a := apiCIRun{
		Repo: v.RepoName(r.RepoID), Name: r.Name, Branch: r.Branch, Conclusion: r.Conclusion, URL: r.URL,
		StartedAt: ptrTime(r.StartedAt), FinishedAt: ptrTime(r.FinishedAt),
	}
	if d, ok := metrics.CIRunDuration(r); ok {
		s := d.Seconds()
		a.DurationSeconds = &s
	}
	return a
}
