package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/templates"
)

// The decision log: /decisions lists it, each decision linking to its
// comparison; plain HTML forms record, edit and (after a confirmation)
// delete decisions. Every write goes through requireWrite
// (decision_access.go) and through the decision log's CheckDecision — the
// checks `tach decisions add` makes, with the same words. A form with a
// mistake comes back with 422, the entered values and a message beside
// each wrong field, and nothing stored; a write that succeeds redirects
// (303).

// maxFormBytes bounds a decision form: a note is at most 10,000 characters.
const maxFormBytes = 64 << 10

// kindLabels describe the decision kinds in the form.
var kindLabels = map[string]string{
	"architecture": "architecture (a split, a new service, a modular monolith)",
	"data-access":  "data access (ORM, SQL, a database)",
	"caching":      "caching",
	"refactor":     "refactor",
	"process":      "process (reviews, releases, on-call)",
	"tooling":      "tooling (CI, build, deploy)",
	"other":        "other",
}

func (s *Server) decisionsPage(w http.ResponseWriter, r *http.Request) error {
	q, err := s.parse(r)
	if err != nil {
		return err
	}
	ds, err := s.decisions.Decisions(r.Context())
	if err != nil {
		return err
	}
	write := s.canWrite(r)
	p := templates.DecisionsPage{
		Page:       templates.Page{Title: "Decisions", Nav: nav(q, "decisions"), Assets: s.assetURLs()},
		Candidates: templates.Link{Label: "Suggested decisions: what the data shows that nobody recorded", Href: "/decisions/candidates"},
		JSONHref:   "/api/v1/decisions",
		Empty:      "No decision is recorded yet. Record the backend decisions your team makes — a service split, an ORM swapped for SQL, a cache, a large refactor — and tach compares every measure before and after each one. See what the data suggests under Suggested decisions.",
		EmptyLinks: []templates.Link{suggestionsLink},
		Note:       "Each decision is drawn as a dashed line on the time charts of the scopes it concerns. Open one to compare the weeks before it with the weeks after, with an interval and a verdict for every measure. The same log is kept by `tach decisions add|list|edit|rm`.",
	}
	if write {
		p.NewHref = "/decisions/new"
	}
	p.Notice, p.NoticeLinks = doneNotice(q)
	for _, d := range slices.Backward(ds) {
		row := decisionRow(d)
		if write {
			row.EditHref, row.DeleteHref = decisionPath(d.ID, "edit"), decisionPath(d.ID, "delete")
		}
		p.Rows = append(p.Rows, row)
	}
	return s.render(w, r, templates.Decisions(p))
}

// doneNotice says what the form before the redirect did, with the links
// it names.
func doneNotice(q Query) (string, []templates.Link) {
	id := q.Compare.Decision
	switch q.Done {
	case "created":
		return fmt.Sprintf("Recorded decision #%d. Open it to compare before and after.", id),
			[]templates.Link{{Label: "Open it to compare", Href: compareHref(id)}}
	case "updated":
		return fmt.Sprintf("Saved decision #%d.", id), nil
	case "deleted":
		return fmt.Sprintf("Deleted decision #%d.", id), nil
	case "accepted":
		return fmt.Sprintf("Recorded the suggestion as decision #%d. Edit it to change its title, kind or scope.", id),
			[]templates.Link{{Label: "Edit it", Href: decisionPath(id, "edit")}}
	case "dismissed":
		return "Dismissed: that suggestion will not come back.", nil
	}
	return "", nil
}

func decisionRow(d store.Decision) templates.DecisionRow {
	return templates.DecisionRow{
		ID: d.ID, Date: d.DecidedOn, Title: d.Title, Kind: d.Kind, Scope: storedDecisionScope(d),
		Note: truncate(d.Note, 240), NoteFull: d.Note, Link: safeLink(d.Link), CompareHref: compareHref(d.ID),
	}
}

// decisionPath is a decision's page: /decisions/4/edit.
func decisionPath(id int64, action string) string {
	p := "/decisions/" + strconv.FormatInt(id, 10)
	if action != "" {
		p += "/" + action
	}
	return p
}

// safeLink returns link when it is an http(s) URL with a host, and "" for
// anything else (javascript:, data:, relative): only such links are
// stored, but the page does not rely on it.
func safeLink(link string) string {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// decisionScope says what a decision's scope covers.
func decisionScope(team string, repos []string) string {
	switch {
	case team != "" && len(repos) > 0:
		return "team " + team + ": " + strings.Join(repos, ", ")
	case team != "":
		return "team " + team
	case len(repos) > 0:
		return strings.Join(repos, ", ")
	}
	return "everything"
}

// storedDecisionScope says what a recorded decision concerns: its team,
// repos and modules, and the scopes it compares when they differ.
func storedDecisionScope(d store.Decision) string {
	s := decisionScope(d.ScopeTeam, append(slices.Clone(d.ScopeRepos), d.ScopeModules...))
	if d.BeforeScope != "" || d.AfterScope != "" {
		s += fmt.Sprintf(" (compares %s before, %s after)", cmp.Or(d.BeforeScope, "its scope"), cmp.Or(d.AfterScope, "its scope"))
	}
	return s
}

// decisionID reads the {id} of a decision's path; anything else is 404.
func decisionID(r *http.Request) (int64, error) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, notFoundf("there is no decision %q: decisions are numbered, like /decisions/1/edit", truncate(raw, 20))
	}
	return id, nil
}

// decisionAt is the recorded decision named by the request's {id}, or an
// error that answers 404.
func (s *Server) decisionAt(r *http.Request) (store.Decision, error) {
	id, err := decisionID(r)
	if err != nil {
		return store.Decision{}, err
	}
	d, err := s.decisions.Decision(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Decision{}, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("There is no decision #%d.", id),
			hint: "The decisions page lists every recorded decision.", links: []templates.Link{decisionsPageLink}}
	}
	if err != nil {
		return store.Decision{}, err
	}
	return d, nil
}

// The form.

func (s *Server) newDecisionPage(w http.ResponseWriter, r *http.Request) error {
	q, err := s.parse(r)
	if err != nil {
		return err
	}
	in := engine.DecisionInput{Date: s.now().In(s.reports.Rules().Location).Format(time.DateOnly)}
	if q.Scope.Team != "" {
		in.Team = q.Scope.Team
	} else {
		in.Repos, in.Modules = q.Scope.Repos, q.Scope.Modules
	}
	title := "Record a decision"
	if q.Candidate != "" {
		c, err := s.decisions.Candidate(r.Context(), q.Candidate, s.now())
		if err != nil {
			return candidateError(err)
		}
		in, title = engine.CandidateInput(c), "Record a suggested decision"
	}
	return s.renderDecisionForm(w, r, http.StatusOK, decisionForm{title: title, action: "/decisions", submit: "Record decision",
		cancel: "/decisions", in: in, candidate: q.Candidate})
}

func (s *Server) editDecisionPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.decisionAt(r)
	if err != nil {
		return err
	}
	return s.renderDecisionForm(w, r, http.StatusOK, editForm(d.ID, engine.InputOf(d)))
}

// editForm is the form that edits decision id, filled with in.
func editForm(id int64, in engine.DecisionInput) decisionForm {
	return decisionForm{title: fmt.Sprintf("Edit decision #%d", id), action: decisionPath(id, ""), submit: "Save changes",
		cancel: decisionAnchor(id), in: in}
}

// decisionAnchor is a decision's place in the decision log.
func decisionAnchor(id int64) string { return "/decisions#decision-" + strconv.FormatInt(id, 10) }

// decisionForm is what the form page shows.
type decisionForm struct {
	title, action, submit, cancel string
	in                            engine.DecisionInput
	errors                        map[string]string
	summary                       []string
	candidate                     string
}

func (s *Server) renderDecisionForm(w http.ResponseWriter, r *http.Request, status int, f decisionForm) error {
	ch, err := s.choices(r.Context())
	if err != nil {
		return err
	}
	p := templates.DecisionFormPage{
		Page:   templates.Page{Title: f.title, Nav: nav(Query{}, "decisions"), Assets: s.assetURLs()},
		Action: f.action, Submit: f.submit, Cancel: f.cancel, Errors: f.errors, Summary: f.summary, Candidate: f.candidate,
		Values: templates.DecisionValues{Date: f.in.Date, Title: f.in.Title, Kind: f.in.Kind, Scope: scopeChoice(f.in), Team: f.in.Team, Repos: f.in.Repos,
			Modules: f.in.Modules, BeforeScope: f.in.BeforeScope, AfterScope: f.in.AfterScope, Note: f.in.Note, Link: f.in.Link},
	}
	kind := strings.ToLower(strings.TrimSpace(f.in.Kind))
	p.Kinds = append(p.Kinds, templates.Option{Value: "", Label: "Choose a kind", Selected: kind == ""})
	for _, k := range store.DecisionKinds {
		p.Kinds = append(p.Kinds, templates.Option{Value: k, Label: kindLabels[k], Selected: k == kind})
	}
	if kind != "" && !slices.Contains(store.DecisionKinds, kind) {
		// Keep what was entered, so the message beside it makes sense.
		p.Kinds = append(p.Kinds, templates.Option{Value: f.in.Kind, Label: f.in.Kind + " (not a kind)", Selected: true})
	}
	p.Teams = append(p.Teams, templates.Option{Value: "", Label: "—", Selected: f.in.Team == ""})
	teams := map[string]bool{}
	for _, t := range ch.teams {
		teams[t.Name] = true
		p.Teams = append(p.Teams, templates.Option{Value: t.Name, Label: t.Name, Selected: t.Name == f.in.Team})
	}
	if f.in.Team != "" && !teams[f.in.Team] {
		p.Teams = append(p.Teams, templates.Option{Value: f.in.Team, Label: f.in.Team + " (unknown)", Selected: true})
	}
	// A typed field keeps whatever was typed; a select adds what it lacks.
	if p.Repos, p.RepoNames = s.names("repo", ch.repos, f.in.Repos); p.RepoNames == nil {
		p.Repos = withUnknown(p.Repos, ch.repos, f.in.Repos)
	}
	if p.Modules, p.ModuleNames = s.names("module", ch.modules, f.in.Modules); p.ModuleNames == nil {
		p.Modules = withUnknown(p.Modules, ch.modules, f.in.Modules)
	}
	return s.renderStatus(w, r, status, templates.DecisionForm(p))
}

// withUnknown adds to a select's options each name chosen that is not
// among all, selected, so the message beside the field makes sense.
func withUnknown(opts []templates.Option, all, chosen []string) []templates.Option {
	for _, name := range chosen {
		if !slices.Contains(all, name) && strings.TrimSpace(name) != "" {
			opts = append(opts, templates.Option{Value: name, Label: name + " (unknown)", Selected: true})
		}
	}
	return opts
}

// scopeChoice is the scope radio a form shows checked for in.
func scopeChoice(in engine.DecisionInput) string {
	switch {
	case strings.TrimSpace(in.Team) != "":
		return "team"
	case len(in.Repos) > 0 || len(in.Modules) > 0:
		return "repos"
	}
	return "everything"
}

// readDecisionForm reads a posted decision form.
func readDecisionForm(w http.ResponseWriter, r *http.Request) (engine.DecisionInput, string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return engine.DecisionInput{}, "", &httpError{status: http.StatusRequestEntityTooLarge, msg: "The form is larger than a decision can be.",
				hint: "A note is at most 10,000 characters."}
		}
		return engine.DecisionInput{}, "", badRequestf("the form could not be read: send it as application/x-www-form-urlencoded")
	}
	f := r.PostForm
	in := engine.DecisionInput{Date: f.Get("date"), Title: f.Get("title"), Kind: f.Get("kind"), Team: f.Get("team"), Note: f.Get("note"), Link: f.Get("link"),
		BeforeScope: f.Get("before_scope"), AfterScope: f.Get("after_scope")}
	for _, list := range []struct {
		param string
		to    *[]string
	}{{"repo", &in.Repos}, {"module", &in.Modules}} {
		for _, name := range f[list.param] {
			for _, n := range strings.Split(name, ",") {
				if n = strings.TrimSpace(n); n != "" {
					*list.to = append(*list.to, n)
				}
			}
		}
	}
	// The scope radio says which control counts; the other's value, still
	// sent by the browser, is dropped. Without it (a script posting the
	// form), both are checked as sent.
	switch f.Get("scope") {
	case "everything":
		in.Team, in.Repos, in.Modules = "", nil, nil
	case "team":
		in.Repos, in.Modules = nil, nil
	case "repos":
		in.Team = ""
	}
	// A textarea sends CRLF line ends; the CLI stores LF.
	in.Note = strings.ReplaceAll(in.Note, "\r\n", "\n")
	cand := strings.TrimSpace(f.Get("candidate"))
	if cand != "" && !isCandidateID(cand) {
		return in, "", badRequestf("candidate %q is not a suggestion's id", truncate(cand, 20))
	}
	return in, cand, nil
}

// checkDecisionForm runs the decision log's checks, and keeps running them
// with each wrong field set aside, so the form can show every mistake at
// once: field name → message, and the messages in order. Errors other than
// a mistake in the input are returned as such.
func checkDecisionForm(ctx context.Context, log DecisionLog, in engine.DecisionInput) (map[string]string, []string, error) {
	fields := map[string]string{}
	var summary []string
	probe := in
	for range 8 {
		_, err := log.CheckDecision(ctx, probe)
		if err == nil {
			break
		}
		if !errors.Is(err, engine.ErrInvalidDecision) && !errors.Is(err, engine.ErrUnknownScope) {
			return nil, nil, err
		}
		field, msg := decisionMistake(err)
		if _, seen := fields[field]; seen {
			break
		}
		fields[field] = msg
		summary = append(summary, msg)
		switch field {
		case "title":
			probe.Title = "a title"
		case "date":
			probe.Date = "2000-01-01"
		case "kind":
			probe.Kind = store.DecisionKinds[0]
		case "link":
			probe.Link = ""
		case "note":
			probe.Note = ""
		case "scope":
			probe.Team, probe.Repos, probe.Modules = "", nil, nil
		case "before_scope":
			probe.BeforeScope = ""
		case "after_scope":
			probe.AfterScope = ""
		default:
			return fields, summary, nil
		}
	}
	return fields, summary, nil
}

// decisionMistake says which field an error of CheckDecision is about,
// and the message to show beside it.
func decisionMistake(err error) (field, msg string) {
	msg = err.Error()
	for _, prefix := range []error{engine.ErrInvalidDecision, engine.ErrUnknownScope} {
		msg = strings.TrimPrefix(msg, prefix.Error()+": ")
	}
	switch {
	case strings.HasPrefix(msg, "the before scope"):
		field = "before_scope"
	case strings.HasPrefix(msg, "the after scope"):
		field = "after_scope"
	case errors.Is(err, engine.ErrUnknownScope):
		field = "scope"
	case strings.HasPrefix(msg, "the title"):
		field = "title"
	case strings.HasPrefix(msg, "the date"):
		field = "date"
	case strings.HasPrefix(msg, "the kind"), strings.HasPrefix(msg, "choose a kind"):
		field = "kind"
	case strings.HasPrefix(msg, "the link"):
		field = "link"
	case strings.HasPrefix(msg, "the note"):
		field = "note"
	case strings.Contains(msg, "scope"):
		field = "scope"
	default:
		field = "form"
	}
	return field, upperFirst(msg) + "."
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func (s *Server) createDecision(w http.ResponseWriter, r *http.Request) error {
	in, cand, err := readDecisionForm(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	form := decisionForm{title: "Record a decision", action: "/decisions", submit: "Record decision", cancel: "/decisions", in: in, candidate: cand}
	fields, summary, err := checkDecisionForm(ctx, s.decisions, in)
	if err != nil {
		return err
	}
	if len(fields) > 0 {
		form.errors, form.summary = fields, summary
		return s.renderDecisionForm(w, r, http.StatusUnprocessableEntity, form)
	}
	var d store.Decision
	if cand != "" {
		c, err := s.decisions.Candidate(ctx, cand, s.now())
		if err != nil {
			return candidateError(err)
		}
		d, err = s.decisions.AcceptCandidate(ctx, c, in)
		if err != nil {
			return err
		}
	} else if d, err = s.decisions.AddDecision(ctx, in); err != nil {
		return err
	}
	s.log.Info("decision recorded", "id", d.ID, "title", d.Title, "date", d.DecidedOn)
	// Straight to what the decision is for: its comparison.
	http.Redirect(w, r, fmt.Sprintf("/compare?decision=%d&done=created", d.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) updateDecision(w http.ResponseWriter, r *http.Request) error {
	d, err := s.decisionAt(r)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), d.ID
	in, _, err := readDecisionForm(w, r)
	if err != nil {
		return err
	}
	fields, summary, err := checkDecisionForm(ctx, s.decisions, in)
	if err != nil {
		return err
	}
	if len(fields) > 0 {
		form := editForm(id, in)
		form.errors, form.summary = fields, summary
		return s.renderDecisionForm(w, r, http.StatusUnprocessableEntity, form)
	}
	if _, err := s.decisions.UpdateDecision(ctx, id, in); err != nil {
		return err
	}
	s.log.Info("decision updated", "id", id)
	http.Redirect(w, r, fmt.Sprintf("/compare?decision=%d&done=updated", id), http.StatusSeeOther)
	return nil
}

func (s *Server) deleteDecisionPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.decisionAt(r)
	if err != nil {
		return err
	}
	id := d.ID
	p := templates.DecisionDeletePage{
		Page:     templates.Page{Title: fmt.Sprintf("Delete decision #%d", id), Nav: nav(Query{}, "decisions"), Assets: s.assetURLs()},
		Decision: decisionRow(d), Action: decisionPath(id, "delete"), Cancel: decisionAnchor(id),
	}
	return s.render(w, r, templates.DecisionDelete(p))
}

func (s *Server) deleteDecision(w http.ResponseWriter, r *http.Request) error {
	d, err := s.decisionAt(r)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), d.ID
	if err := s.decisions.DeleteDecision(ctx, id); err != nil {
		return err
	}
	s.log.Info("decision deleted", "id", id)
	http.Redirect(w, r, fmt.Sprintf("/decisions?done=deleted&decision=%d", id), http.StatusSeeOther)
	return nil
}

// The JSON API.

type apiDecision struct {
	ID         int64    `json:"id"`
	DecidedOn  string   `json:"decided_on"`
	Title      string   `json:"title"`
	Kind       string   `json:"kind"`
	ScopeTeam  string   `json:"scope_team"`
	ScopeRepos []string `json:"scope_repos"`
	// ScopeModules are REPO:NAME; BeforeScope and AfterScope the scopes
	// compared before and after when they differ (omitted otherwise).
	ScopeModules []string  `json:"scope_modules,omitempty"`
	BeforeScope  string    `json:"before_scope,omitempty"`
	AfterScope   string    `json:"after_scope,omitempty"`
	Note         string    `json:"note"`
	Link         string    `json:"link"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	CompareURL   string    `json:"compare_url"` // its comparison, as JSON
	PageURL      string    `json:"page_url"`    // its comparison, as a page
}

func apiDecisions(ds []store.Decision) []apiDecision {
	out := []apiDecision{}
	for _, d := range ds {
		repos := d.ScopeRepos
		if repos == nil {
			repos = []string{}
		}
		out = append(out, apiDecision{ID: d.ID, DecidedOn: d.DecidedOn, Title: d.Title, Kind: d.Kind, ScopeTeam: d.ScopeTeam,
			ScopeRepos: repos, ScopeModules: d.ScopeModules, BeforeScope: d.BeforeScope, AfterScope: d.AfterScope, Note: d.Note, Link: d.Link, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
			CompareURL: "/api/v1/compare?decision=" + strconv.FormatInt(d.ID, 10), PageURL: compareHref(d.ID)})
	}
	return out
}

func (s *Server) apiDecisions(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.store.Decisions(r.Context())
	if err != nil {
		return err
	}
	return s.serveJSON(w, map[string]any{"decisions": apiDecisions(ds), "kinds": store.DecisionKinds})
}

// apiScopes lists the repos and teams a filter can name.
func (s *Server) apiScopes(w http.ResponseWriter, r *http.Request) error {
	repos, err := s.store.Repos(r.Context())
	if err != nil {
		return err
	}
	teams, err := s.reports.TeamList(r.Context())
	if err != nil {
		return err
	}
	mods, err := s.reports.ModuleList(r.Context())
	if err != nil {
		return err
	}
	type apiModule struct {
		Name  string   `json:"name"`
		Ref   string   `json:"ref"`   // REPO:NAME, as module= takes it
		Paths []string `json:"paths"` // its globs; none for (unassigned)
	}
	type apiRepo struct {
		Name     string `json:"name"`
		Provider string `json:"provider"`
		URL      string `json:"url"`
		// Modules are the repo's modules, (unassigned) last; omitted for
		// a repo without modules.
		Modules []apiModule `json:"modules,omitempty"`
	}
	type apiTeam struct {
		Name  string   `json:"name"`
		Repos []string `json:"repos"`
	}
	out := struct {
		Repos    []apiRepo `json:"repos"`
		Teams    []apiTeam `json:"teams"`
		Timezone string    `json:"timezone"`
	}{Repos: []apiRepo{}, Teams: []apiTeam{}, Timezone: s.reports.Rules().Location.String()}
	for _, r := range repos {
		ar := apiRepo{Name: r.Name, Provider: r.Provider, URL: r.URL}
		for _, m := range mods {
			if m.RepoID == r.ID {
				ar.Modules = append(ar.Modules, apiModule{Name: m.Name, Ref: m.Ref(), Paths: orEmpty(m.Paths)})
			}
		}
		out.Repos = append(out.Repos, ar)
	}
	for _, t := range teams {
		out.Teams = append(out.Teams, apiTeam{Name: t.Name, Repos: orEmpty(t.Repos)})
	}
	return s.serveJSON(w, out)
}
