package web

import (
	"net/http"

	"github.com/tach-dev/tach/templates"
)

// The measures index, /measures: every measure with what it says in one
// line, each a link to its page in the same scope and window, and to its
// rules.

// measureLines are each measure's one-line definition, by slug; the whole
// definition is on its page and on /docs/metrics.
var measureLines = map[string]string{
	measureDeploymentFrequency: "How often production deployments finish: per week, and the days of a week with one.",
	measureLeadTime:            "How long a change takes from its first commit to running in production.",
	measureChangeFailureRate:   "The share of production deployments that caused an incident or were rolled back.",
	measureRecoveryTime:        "How long a failed deployment takes to recover: its incidents resolved, or rolled back.",
	measureReworkRate:          "The share of production deployments that were unplanned fixes or rollbacks.",
	measureCycleTime:           "Lead time in four parts: coding, pickup, review and deploy.",
	measureThroughput:          "Changes merged, per week (bots left out).",
	measurePRSize:              "Lines added plus lines deleted of each merged change.",
	measureCI:                  "How long CI runs take from start to finish, and how often they pass.",
}

func (s *Server) measuresIndexPage(w http.ResponseWriter, r *http.Request) error {
	q, err := s.parse(r)
	if err != nil {
		return err
	}
	c, err := s.choices(r.Context())
	if err != nil {
		return err
	}
	p := templates.MeasuresIndexPage{Page: s.page(q, "/measures", "measures", "Measures", c, false)}
	for _, m := range measures {
		p.Measures = append(p.Measures, templates.MeasureIndexItem{
			Title: m.title, Href: link("/measures/"+m.slug, q.scopeValues()), Line: measureLines[m.slug],
			RulesHref: "/docs/metrics#" + m.slug, Slug: m.slug,
		})
	}
	return s.render(w, r, templates.MeasuresIndex(p))
}
