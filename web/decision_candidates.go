package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/templates"
)

// Suggested decisions (engine.Candidates): what the data shows that nobody
// recorded — a repo that appears, a very large refactor, a sustained shift
// in a measure. Each can be recorded in one click (the suggestion's date,
// title, kind and scope, its evidence as the note; then its comparison
// opens), recorded after changing its fields, or dismissed.

// candidateSources name a suggestion's source in a sentence.
var candidateSources = map[string]string{
	impact.CandidateNewRepo:     "a new repo",
	impact.CandidateLargeChange: "a very large change",
	impact.CandidateShift:       "a sustained shift",
}

func (s *Server) candidatesPage(w http.ResponseWriter, r *http.Request) error {
	q, err := s.parse(r)
	if err != nil {
		return err
	}
	cands, err := s.decisions.Candidates(r.Context(), s.now())
	if err != nil {
		return err
	}
	write := s.canWrite(r)
	p := templates.CandidatesPage{
		Page:     templates.Page{Title: "Suggested decisions", Nav: nav(q, "decisions"), Assets: s.assetURLs()},
		Notice:   noticeText(q),
		Lead:     "Decisions the data suggests that nobody recorded: a repo that appears (a service split out), a very large change titled as a refactor or a migration, a sustained shift in a repo's lead time, deployments, change failure rate or PR size. Record one to compare before and after it; dismiss one and it does not come back. Leads to look at, not findings.",
		Empty:    "No suggestion: every new repo, very large refactor and sustained shift in the data is near a recorded or dismissed decision.",
		JSONHref: "/api/v1/decisions/candidates",
	}
	for _, c := range cands {
		item := templates.CandidateItem{
			ID: c.ID, Date: c.Date, Title: c.Title, Kind: c.Kind, Evidence: c.Evidence,
			Source: candidateSourceText(c.Source), Scope: decisionScope(c.Team, c.Repos),
			CompareHref: candidateCompareHref(c),
		}
		if write {
			base := "/decisions/candidates/" + url.PathEscape(c.ID)
			item.AcceptAction, item.DismissAction = base+"/accept", base+"/dismiss"
			item.EditHref = "/decisions/new?candidate=" + url.QueryEscape(c.ID)
		}
		p.Candidates = append(p.Candidates, item)
	}
	return s.render(w, r, templates.Candidates(p))
}

func candidateSourceText(source string) string {
	if t, ok := candidateSources[source]; ok {
		return t
	}
	return source
}

// candidateCompareHref is the comparison around a suggestion's date, in
// its scope.
func candidateCompareHref(c impact.Candidate) string {
	v := url.Values{}
	v.Set("at", c.Date)
	if c.Team != "" {
		v.Set("team", c.Team)
	}
	for _, r := range c.Repos {
		v.Add("repo", r)
	}
	return link("/compare", v)
}

// candidateError turns an unknown suggestion into a 404 that says why.
func candidateError(err error) error {
	if errors.Is(err, engine.ErrUnknownCandidate) {
		return &httpError{status: http.StatusNotFound, msg: "That suggestion is not current any more: it was recorded, dismissed, or the data moved it.",
			hint: "The suggested decisions page lists the current ones.", links: []templates.Link{suggestionPageLink}}
	}
	return err
}

// candidateAt is the suggestion of a /decisions/candidates/{id}/… path, or
// an error that answers 404.
func (s *Server) candidateAt(r *http.Request) (impact.Candidate, error) {
	id := r.PathValue("id")
	if !isCandidateID(id) {
		return impact.Candidate{}, notFoundf("there is no suggestion %q", truncate(id, 20))
	}
	c, err := s.decisions.Candidate(r.Context(), id, s.now())
	if err != nil {
		return c, candidateError(err)
	}
	return c, nil
}

// acceptCandidate records a suggestion as it stands and opens its
// comparison.
func (s *Server) acceptCandidate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.candidateAt(r)
	if err != nil {
		return err
	}
	d, err := s.decisions.AcceptCandidate(r.Context(), c, engine.CandidateInput(c))
	if err != nil {
		if errors.Is(err, engine.ErrInvalidDecision) || errors.Is(err, engine.ErrUnknownScope) {
			// The suggestion does not pass as it stands (its scope left the
			// config, say): let the reader fix it in the form.
			http.Redirect(w, r, "/decisions/new?candidate="+url.QueryEscape(c.ID), http.StatusSeeOther)
			return nil
		}
		return err
	}
	s.log.Info("suggestion recorded", "candidate", c.ID, "decision", d.ID)
	http.Redirect(w, r, fmt.Sprintf("/compare?decision=%d&done=accepted", d.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) dismissCandidate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.candidateAt(r)
	if err != nil {
		return err
	}
	if err := s.decisions.DismissCandidate(r.Context(), c); err != nil {
		return err
	}
	s.log.Info("suggestion dismissed", "candidate", c.ID)
	http.Redirect(w, r, "/decisions/candidates?done=dismissed", http.StatusSeeOther)
	return nil
}

func (s *Server) apiCandidates(w http.ResponseWriter, r *http.Request) error {
	cands, err := s.decisions.Candidates(r.Context(), s.now())
	if err != nil {
		return err
	}
	if cands == nil {
		cands = []impact.Candidate{}
	}
	return s.serveJSON(w, map[string]any{"candidates": cands})
}

// noticeText is doneNotice without its links.
func noticeText(q Query) string {
	text, _ := doneNotice(q)
	return text
}
