package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/a-h/templ"
)

// render writes a page with status 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, c templ.Component) error {
	return s.renderStatus(w, r, http.StatusOK, c)
}

// renderStatus renders into a buffer first, so a template error becomes a
// clean error page rather than half a page.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		if status >= 400 {
			// Rendering the error page itself failed: say so plainly.
			s.log.Error("render error page", "path", r.URL.Path, "err", err)
			http.Error(w, http.StatusText(status), status)
			return nil
		}
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	if err != nil {
		s.log.Debug("write response", "path", r.URL.Path, "err", err)
	}
	return nil
}

// writeJSON writes v as indented JSON.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// serveJSON is writeJSON with status 200, for API handlers.
func (s *Server) serveJSON(w http.ResponseWriter, v any) error {
	return s.writeJSON(w, http.StatusOK, v)
}
