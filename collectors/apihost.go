package collectors

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// A provider's token goes to the API host of its base_url (scheme, host
// and port) and to no other: not after a redirect, not to a next-page
// link that names another host. Such a request is refused, not sent
// without the token: an API that answers elsewhere is a base_url to fix,
// and the other host's answer, if any, would be a 401 that blames the
// token or data that did not come from the configured API
// (docs/security.md).

// ErrOtherHost is wrapped by the error of a request refused because it
// would leave the API host.
var ErrOtherHost = errors.New("request to another host than the API's")

// OtherHostError is a request that would have carried the token to
// another host than the API's.
type OtherHostError struct {
	Key  string // the config key of the API, github.base_url
	API  string // the API's origin: https://api.github.com
	From string // the origin of the answer that redirected ("" for a link)
	To   string // the origin asked for
}

func (e *OtherHostError) Error() string {
	how := "a link pointed to " + e.To
	if e.From != "" {
		how = e.From + " redirected to " + e.To
	}
	return fmt.Sprintf("%s, another host than %s's (%s): tach sends the token only to that host, so it stopped here; "+
		"set %s to the address the API answers at", how, e.Key, e.API, e.Key)
}

func (e *OtherHostError) Unwrap() error { return ErrOtherHost }

// APIHost is the origin a provider's token may be sent to (a GitHub
// whose GraphQL endpoint is set apart may have two).
type APIHost struct {
	key     string
	origins []string // scheme://host:port, lower-case, the port explicit
}

// NewAPIHost returns the API host of base (and of the other endpoints
// given), named by the config key that sets it (github.base_url). Each
// URL must be an absolute http(s) URL.
func NewAPIHost(key string, base *url.URL, others ...*url.URL) APIHost {
	h := APIHost{key: key, origins: []string{originOf(base)}}
	for _, u := range others {
		if o := originOf(u); !slices.Contains(h.origins, o) {
			h.origins = append(h.origins, o)
		}
	}
	return h
}

// originOf is u's scheme, host and port, the default port made explicit.
func originOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// Allows reports whether u is on the API host.
func (h APIHost) Allows(u *url.URL) bool { return slices.Contains(h.origins, originOf(u)) }

// Check refuses a request to another host than the API's: a redirect's
// next hop (the request's Response is the answer that redirected) or a
// link followed.
func (h APIHost) Check(req *http.Request) error {
	if h.Allows(req.URL) {
		return nil
	}
	e := &OtherHostError{Key: h.key, API: h.origins[0], To: originOf(req.URL)}
	if req.Response != nil && req.Response.Request != nil {
		e.From = originOf(req.Response.Request.URL)
	}
	return e
}

// CheckRedirect is an http.Client's CheckRedirect: redirects on the API
// host are followed (10 at most, as Go's default), any other is refused.
func (h APIHost) CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return h.Check(req)
}

// WarnPlainHTTP logs that a base_url sends the token unencrypted to a
// host that is not this machine; providers call it once, when built.
func WarnPlainHTTP(log *slog.Logger, key string, base *url.URL) {
	if !strings.EqualFold(base.Scheme, "http") || isLoopbackHost(base.Hostname()) {
		return
	}
	log.Warn(key+" is plain http:// to another machine: the token and the data cross the network unencrypted; use https://",
		"base_url", base.Redacted())
}

// isLoopbackHost reports localhost or a loopback IP.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
