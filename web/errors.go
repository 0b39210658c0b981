package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/query"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/templates"
)

// httpError is an error with the status and message a reader should see.
// Any other error is a 500 whose details stay in the log.
type httpError struct {
	status int
	msg    string // what went wrong, and what to change
	hint   string // optional: what to do next
	links  []templates.Link
}

// Pages a hint names, linked where the hint says them.
var (
	decisionsPageLink  = templates.Link{Label: "decisions page", Href: "/decisions"}
	suggestionsLink    = templates.Link{Label: "Suggested decisions", Href: "/decisions/candidates"}
	suggestionPageLink = templates.Link{Label: "suggested decisions page", Href: "/decisions/candidates"}
)

func (e *httpError) Error() string { return e.msg }

// badRequestf is a 400: a query parameter the reader can fix.
func badRequestf(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// notFoundf is a 404.
func notFoundf(format string, args ...any) error {
	return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf(format, args...)}
}

// badInputHint is what to do about a 400.
const badInputHint = "Change that parameter in the address, or use the filters on the page (Reset clears them)."

// classify maps an error to its status, the message to show, and a hint.
func classify(err error) (int, string, string) {
	var he *httpError
	var bad *query.BadInput
	switch {
	case errors.As(err, &bad):
		return http.StatusBadRequest, bad.Msg, badInputHint
	case errors.As(err, &he):
		hint := he.hint
		if hint == "" && he.status == http.StatusBadRequest {
			hint = badInputHint
		}
		if hint == "" && he.status == http.StatusNotFound {
			hint = "The navigation above leads to every page."
		}
		return he.status, he.msg, hint
	case errors.Is(err, engine.ErrUnknownScope):
		return http.StatusNotFound, err.Error(), "Pick a team or repo from the filters, or drop the parameter."
	case errors.Is(err, store.ErrBadListQuery):
		return http.StatusBadRequest, strings.TrimPrefix(err.Error(), store.ErrBadListQuery.Error()+": "), ""
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, err.Error(), ""
	case errors.Is(err, engine.ErrBusy):
		return http.StatusServiceUnavailable, "tach is busy with other heavy requests (comparisons, long windows); try again in a few seconds.",
			"Shorter windows and smaller scopes are quicker, and are answered while heavy pages wait."
	case errors.Is(err, context.Canceled):
		return 499, "request canceled", "" // the client went away; nobody reads this
	}
	return http.StatusInternalServerError, "Something went wrong on the server; the details are in its log.", ""
}

// renderError is the one place errors become responses: JSON under /api/
// or for a client that asks for JSON, an HTML page otherwise. Server
// errors are logged with the request; client errors are not (they are the
// reader's, and the page tells them).
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg, hint := classify(err)
	var busy *engine.BusyError
	if errors.As(err, &busy) {
		// Refusing heavy work is the gate doing its job, not a failure:
		// the request log has it.
		w.Header().Set("Retry-After", strconv.Itoa(busy.RetryAfterSeconds()))
	} else if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if status == 499 {
		return
	}
	if wantsJSON(r) {
		s.writeJSON(w, status, map[string]any{"error": msg, "hint": hint, "status": status})
		return
	}
	page := templates.ErrorPage{Page: s.barePage(http.StatusText(status)), Status: status, Message: msg, Hint: hint}
	if he := (*httpError)(nil); errors.As(err, &he) {
		page.HintLinks = he.links
	}
	s.renderStatus(w, r, status, templates.Error(page))
}

// wantsJSON: the API always answers JSON; elsewhere a client that prefers
// JSON to HTML gets it.
func wantsJSON(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return true
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}
