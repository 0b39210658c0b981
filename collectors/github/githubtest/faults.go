package githubtest

import (
	"net/http"
	"time"
)

// Fault makes matching requests fail the way GitHub fails. Build one with a
// constructor (ServerError, PrimaryLimit, ...), narrow it with On, ForRepo,
// After and Repeat, and give it to Server.Inject:
//
//	srv.Inject(githubtest.ServerError(502).On("graphql").Repeat(2))
type Fault struct {
	// Endpoint limits the fault to one endpoint (see Server.Requests for
	// the names); "" matches every request.
	Endpoint string
	// Repo limits the fault to one repo (owner/name); "" matches any.
	Repo string
	// Skip lets this many matching requests through before the fault
	// starts.
	Skip int
	// Count is how many matching requests fail; 0 means every one.
	Count int

	// Status is the response's status code.
	Status int
	// Message is the JSON body's message.
	Message string
	// DocURL is the JSON body's documentation_url.
	DocURL string
	// RetryAfter, when set, is sent as the Retry-After header (seconds).
	RetryAfter time.Duration
	// ResetIn, when set, answers as a spent primary rate limit that resets
	// this long after now (x-ratelimit-remaining: 0).
	ResetIn time.Duration
	// Malformed answers 200 with a truncated JSON body.
	Malformed bool
	// Latency delays the answer (after it, the request is served normally
	// unless another field says otherwise).
	Latency time.Duration
	// NoLink serves the request normally but without its Link header: a
	// list cut after its first page with nothing saying so.
	NoLink bool

	seen, applied int
}

// On limits f to an endpoint.
func (f Fault) On(endpoint string) Fault { f.Endpoint = endpoint; return f }

// ForRepo limits f to a repo.
func (f Fault) ForRepo(name string) Fault { f.Repo = name; return f }

// After lets n matching requests through first.
func (f Fault) After(n int) Fault { f.Skip = n; return f }

// Repeat makes f apply to n requests (0: forever).
func (f Fault) Repeat(n int) Fault { f.Count = n; return f }

// ServerError answers with a 5xx status.
func ServerError(status int) Fault {
	return Fault{Status: status, Message: http.StatusText(status)}
}

// PrimaryLimit answers as a spent primary rate limit that resets in resetIn:
// 403 with x-ratelimit-remaining 0 on REST, a RATE_LIMITED error on GraphQL.
func PrimaryLimit(resetIn time.Duration) Fault {
	return Fault{Status: http.StatusForbidden, ResetIn: resetIn, Message: "API rate limit exceeded for user ID 1.",
		DocURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limits"}
}

// SecondaryLimit answers 403 as a secondary rate limit, with Retry-After
// when retryAfter > 0.
func SecondaryLimit(retryAfter time.Duration) Fault {
	return Fault{Status: http.StatusForbidden, RetryAfter: retryAfter,
		Message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
		DocURL:  "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}
}

// TooManyRequests answers 429, with Retry-After when retryAfter > 0.
func TooManyRequests(retryAfter time.Duration) Fault {
	return Fault{Status: http.StatusTooManyRequests, RetryAfter: retryAfter, Message: "Too Many Requests"}
}

// MalformedBody answers 200 with a JSON body cut in the middle.
func MalformedBody() Fault { return Fault{Status: http.StatusOK, Malformed: true} }

// Unauthorized answers 401 Bad credentials.
func Unauthorized() Fault {
	return Fault{Status: http.StatusUnauthorized, Message: "Bad credentials", DocURL: "https://docs.github.com/rest"}
}

// NotFound answers 404.
func NotFound() Fault {
	return Fault{Status: http.StatusNotFound, Message: "Not Found", DocURL: "https://docs.github.com/rest"}
}

// WithoutLink serves matching requests without their Link header.
func WithoutLink() Fault { return Fault{NoLink: true} }

// Slow delays matching requests by d and then serves them normally.
func Slow(d time.Duration) Fault { return Fault{Latency: d} }

// match reports whether f applies to a request of endpoint on repo, and
// counts it; a GraphQL request also matches "graphql.<connection>" (see
// Server.Requests). The server's lock is held.
func (f *Fault) match(endpoint, connection, repo string) bool {
	if f.Endpoint != "" && f.Endpoint != endpoint && !(f.Endpoint == "graphql" && isGraphQLEndpoint(endpoint)) &&
		!(endpoint == "graphql" && connection != "" && f.Endpoint == "graphql."+connection) {
		return false
	}
	if f.Repo != "" && !equalFold(f.Repo, repo) {
		return false
	}
	f.seen++
	if f.seen <= f.Skip {
		return false
	}
	if f.Count > 0 && f.applied >= f.Count {
		return false
	}
	f.applied++
	return true
}
