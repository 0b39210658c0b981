package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/templates"
)

// GET /login shows the sign-in form of local users; POST /login checks a
// login and password (rate-limited: login_limit.go) and starts a session;
// POST /logout ends it. Forms are plain HTML; the pages need no script.

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if p, ok := principalOf(r.Context()); ok && p.Via != viaOpen {
		// Already signed in.
		seeOther(w, next)
		return nil
	}
	return s.renderLogin(w, r, http.StatusOK, "", next, "")
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, login, next, msg string) error {
	p := templates.LoginPage{Page: s.barePage("Sign in"), Login: login, Next: next, Error: msg, Enabled: s.ops.Auth.Users != nil}
	switch {
	case !s.ops.Auth.enabled():
		p.Note = "Sign-in is off on this server: it listens on a loopback address, and everyone who can reach it may read and write. " +
			"Add users with `tach users add LOGIN --role read|write`, then restart tach serve, to require sign-in."
	case !p.Enabled:
		p.Note = "This server signs users in through your organisation's proxy: open tach through it."
	}
	return s.renderStatus(w, r, status, templates.Login(p))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	users := s.ops.Auth.Users
	if users == nil {
		return &httpError{status: http.StatusNotFound, msg: "This server has no local users to sign in.",
			hint: "Add one with `tach users add LOGIN --role read|write`, then restart tach serve."}
	}
	// The body is bounded by limitBodies, which routes /login.
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &httpError{status: http.StatusRequestEntityTooLarge, msg: "The sign-in form is too large."}
		}
		return badRequestf("the sign-in form could not be read: send it as application/x-www-form-urlencoded")
	}
	login := strings.TrimSpace(r.PostForm.Get("login"))
	password := r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	if len(login) > 64 {
		login = login[:64]
	}
	if login == "" || password == "" {
		return s.renderLogin(w, r, http.StatusUnprocessableEntity, login, next, "Enter your login and your password.")
	}
	now, client := s.now(), s.clientAddr(r).String()
	if ok, retry := s.limiter.allow(client, login, now); !ok {
		secs := int(math.Ceil(retry.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		s.log.Warn("sign-in refused: too many attempts", "login", login, "client", client)
		return s.renderLogin(w, r, http.StatusTooManyRequests, login, next,
			"Too many sign-in attempts. Wait "+waitText(secs)+", then try again.")
	}
	if !s.limiter.acquire(r.Context()) {
		w.Header().Set("Retry-After", "5")
		return &httpError{status: http.StatusServiceUnavailable, msg: "The server is busy checking other sign-ins; try again in a few seconds."}
	}
	user, err := users.Authenticate(r.Context(), login, password)
	s.limiter.release()
	if errors.Is(err, store.ErrBadCredentials) {
		s.limiter.failed(login, now)
		s.log.Info("sign-in failed", "login", login, "client", client)
		return s.renderLogin(w, r, http.StatusUnauthorized, login, next, "Wrong login or password.")
	}
	if err != nil {
		return err
	}
	s.limiter.succeeded(login)
	id, _, err := users.CreateSession(r.Context(), user.ID, s.ops.Auth.SessionTTL, now)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, r, id, s.ops.Auth.SessionTTL)
	s.log.Info("signed in", "login", user.Login, "role", user.Role)
	seeOther(w, next)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if id := s.sessionCookie(r); id != "" && s.ops.Auth.Users != nil {
		if err := s.ops.Auth.Users.DeleteSession(r.Context(), id); err != nil {
			return err
		}
		if p, ok := principalOf(r.Context()); ok && p.Via == viaSession {
			s.log.Info("signed out", "login", p.Login)
		}
	}
	s.clearSessionCookies(w, r)
	target := "/"
	if s.ops.Auth.Users != nil {
		target = "/login"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// safeNext keeps a return address only when it is a path on this server,
// as a browser reads it: "/weekly?team=x", never "//evil.example",
// "https://...", or "/\evil.example" (a backslash is a slash to a
// browser, and http.Redirect would clean "/./\evil" into it). It checks the
// very string seeOther sends: printable ASCII only (browsers drop tabs
// and newlines, which could join two slashes), no backslash raw or
// encoded, no empty or dot segment in the path (which resolve into "//"),
// nothing but a path, query and fragment.
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return "/"
		}
	}
	if strings.Contains(strings.ToLower(next), "%5c") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	for i, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." || seg == "" && i > 0 && i < strings.Count(u.Path, "/") {
			return "/"
		}
	}
	if strings.HasPrefix(u.Path, "/login") || strings.HasPrefix(u.Path, "/logout") {
		return "/"
	}
	return next
}

// seeOther redirects to a local address exactly as given: http.Redirect
// would clean the path after safeNext checked it.
func seeOther(w http.ResponseWriter, target string) {
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusSeeOther)
}

func waitText(secs int) string {
	if secs <= 90 {
		return strconv.Itoa(max(secs, 1)) + " seconds"
	}
	return strconv.Itoa((secs+59)/60) + " minutes"
}
