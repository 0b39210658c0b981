package gitlab

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
)

// countingTransport sits under client-go's retrying client, so it sees
// every attempt: it refuses one off the API host (it would carry the
// token), counts each against the repo and resource in the request's
// context, and feeds the rate-limit headers to the budget.
type countingTransport struct {
	next   http.RoundTripper
	host   collectors.APIHost
	budget *budget
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.host.Check(req); err != nil {
		return nil, err
	}
	c, counted := req.Context().Value(counterKey{}).(counter)
	release, err := c.hold(req.Context())
	if err != nil {
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	remaining, reset := -1, time.Time{}
	if resp != nil {
		remaining, reset = t.budget.observe(resp.Header)
	}
	if counted {
		c.sink.Request(c.resource, remaining, reset)
	}
	if err != nil || resp == nil || resp.Body == nil {
		release()
		return resp, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// counter names where a request is counted: the repo's sink and the
// resource being synced, and the project's request slots.
type counter struct {
	sink     *collectors.Sink
	resource string
	// slots bound the project's requests in flight (nil: no bound): an
	// attempt holds one from its start to the end of its answer's body,
	// not while it waits for a retry or a rate limit (retryablehttp waits
	// above this transport).
	slots *collectors.RequestSlots
}

// hold takes one of the counter's request slots and returns its release.
// A freed slot goes to the deployments and their ranges first: that chain
// starts late (the ranges need the deployments) and ends a first sync,
// while the merge requests' and pipelines' parts have slack.
func (c counter) hold(ctx context.Context) (func(), error) {
	first := c.resource == collectors.ResourceRanges || c.resource == collectors.ResourceDeployments
	return c.slots.Hold(ctx, first)
}

// releasingBody frees the request's slot when its body is read to the
// end or closed, whichever comes first.
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.release()
	}
	return n, err
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

type counterKey struct{}

// countAs returns ctx carrying where its requests are counted, and the
// slots that bound them (nil: none).
func countAs(ctx context.Context, sink *collectors.Sink, resource string, slots *collectors.RequestSlots) context.Context {
	if sink == nil {
		return ctx
	}
	return context.WithValue(ctx, counterKey{}, counter{sink: sink, resource: resource, slots: slots})
}

// reqCtx is the request option that runs a client-go call with ctx,
// counted against the project's resource.
func (proj *project) reqCtx(ctx context.Context, resource string) gl.RequestOptionFunc {
	return gl.WithContext(countAs(ctx, proj.sink, resource, proj.slots))
}

// closingErrorHandler is retryablehttp's pass-through error handler, but
// it closes the body of a response it drops (client-go returns only the
// error then, and the connection would leak).
func closingErrorHandler(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err != nil && resp != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		return nil, err
	}
	return resp, err
}

// header helpers for GitLab's rate-limit headers.

func headerInt(h http.Header, name string) (int, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

func headerUnix(h http.Header, name string) time.Time {
	n, ok := headerInt(h, name)
	if !ok || n <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(n), 0).UTC()
}
