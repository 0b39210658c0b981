package web

import (
	"fmt"
	"net/http"
)

// handlerFunc is a handler that returns its error to the one error
// renderer instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// routes is every route of the server, in one place. Pages and their JSON
// twins take the same query parameters (params.go).
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	handle := func(pattern string, h handlerFunc) { mux.Handle(pattern, s.handle(h)) }

	// Pages.
	handle("GET /{$}", s.overviewPage)
	handle("GET /measures", s.measuresIndexPage)
	handle("GET /measures/{measure}", s.measurePage)
	handle("GET /weekly", s.weeklyPage)
	handle("GET /weekly.md", s.weeklyMarkdown)
	handle("GET /radar", s.radarPage)
	handle("GET /radar.md", s.radarMarkdown)
	handle("GET /changes", s.changesPage)
	handle("GET /deployments", s.deploymentsPage)
	handle("GET /incidents", s.incidentsPage)
	handle("GET /sync", s.syncPage)
	handle("GET /decisions", s.decisionsPage)
	handle("GET /compare", s.comparePage)
	handle("GET /decisions/candidates", s.candidatesPage)
	// Writes to the decision log, and the forms that lead to them: all
	// through requireWrite (decision_access.go), the one place that says
	// who may write.
	handle("GET /decisions/new", s.requireWrite(s.newDecisionPage))
	handle("POST /decisions", s.requireWrite(s.createDecision))
	handle("GET /decisions/{id}/edit", s.requireWrite(s.editDecisionPage))
	handle("POST /decisions/{id}", s.requireWrite(s.updateDecision))
	handle("GET /decisions/{id}/delete", s.requireWrite(s.deleteDecisionPage))
	handle("POST /decisions/{id}/delete", s.requireWrite(s.deleteDecision))
	handle("POST /decisions/candidates/{id}/accept", s.requireWrite(s.acceptCandidate))
	handle("POST /decisions/candidates/{id}/dismiss", s.requireWrite(s.dismissCandidate))
	handle("GET /docs/metrics", s.definitionsPage)
	handle("GET /docs/metrics.md", docFile("metrics.md"))
	handle("GET /docs/decision-impact.md", docFile("decision-impact.md"))

	// The JSON API: the data of every page, same filters.
	handle("GET /api/v1/metrics", s.apiMetrics)
	handle("GET /api/v1/overview", s.apiOverview)
	handle("GET /api/v1/measures/{measure}", s.apiMeasure)
	handle("GET /api/v1/weekly", s.apiWeekly)
	handle("GET /api/v1/radar", s.apiRadar)
	handle("GET /api/v1/changes", s.apiChanges)
	handle("GET /api/v1/deployments", s.apiDeployments)
	handle("GET /api/v1/incidents", s.apiIncidents)
	handle("GET /api/v1/sync", s.apiSync)
	handle("GET /api/v1/decisions", s.apiDecisions)
	handle("GET /api/v1/decisions/candidates", s.apiCandidates)
	handle("GET /api/v1/compare", s.apiCompare)
	handle("GET /api/v1/scopes", s.apiScopes)
	handle("GET /api/v1/scopes/names", s.apiScopeNames)

	// Assets and health.
	mux.Handle("GET /static/", s.assets)
	mux.Handle("GET /favicon.ico", http.RedirectHandler("/static/favicon.svg", http.StatusMovedPermanently))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})

	// Sign-in, starting a sync, webhooks, /readyz, /metrics (middleware.go).
	s.opsRoutes(mux, handle)

	// Anything else is our 404, as a page or JSON.
	handle("GET /", func(w http.ResponseWriter, r *http.Request) error {
		return notFoundf("there is no page at %s", r.URL.Path)
	})
	return mux
}

// handle turns a handlerFunc into an http.Handler: errors go to renderError.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.renderError(w, r, err)
		}
	})
}
