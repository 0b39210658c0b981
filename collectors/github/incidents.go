package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// Incidents are issues carrying one of incidents.labels, from the REST
// issues list sorted by update, oldest first, from the watermark on.
//
//   - The first sync lists each label on its own (labels=a,b on REST means
//     both a and b) since sync.history, after asking for the most recently
//     updated issue or pull request: where the next sync's list starts.
//   - Later syncs list every issue updated since the watermark, so that an
//     issue that lost its incident label is seen and its incident deleted;
//     with its ETag, an unchanged list costs a 304 and no rate limit.
//   - The issues list also holds pull requests (items with a pull_request
//     key): a pull request is never an incident.

// restIssue is the part of an issues-list item (or an issues webhook's
// issue) we read.
type restIssue struct {
	ID          int64           `json:"id"`
	Number      int64           `json:"number"`
	Title       string          `json:"title"`
	HTMLURL     string          `json:"html_url"`
	State       string          `json:"state"`
	Labels      issueLabels     `json:"labels"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	ClosedAt    *time.Time      `json:"closed_at"`
	PullRequest json.RawMessage `json:"pull_request"`
}

// issueLabels are an issue's label names. GitHub's schema gives each label
// as an object or as a bare string; a payload may also leave the labels
// out, which says nothing of them (known is false), where an empty list
// says there are none.
type issueLabels struct {
	names []string
	known bool
}

func (l *issueLabels) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = issueLabels{}
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*l = issueLabels{names: make([]string, 0, len(raw)), known: true}
	for _, r := range raw {
		var name string
		if err := json.Unmarshal(r, &name); err != nil {
			var obj struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(r, &obj); err != nil {
				return fmt.Errorf("label %s: neither a name nor an object with one", r)
			}
			name = obj.Name
		}
		l.names = append(l.names, name)
	}
	return nil
}

func (s *repoSync) syncIncidents(ctx context.Context) error {
	labels := s.sink.Options().IncidentLabels
	if len(labels) == 0 {
		return nil
	}
	ctx = s.ctxFor(ctx, collectors.ResourceIncidents)
	w, err := s.startWalk(ctx, collectors.ResourceIncidents)
	if err != nil {
		return err
	}
	list := func(since time.Time, label string) string {
		q := url.Values{"state": {"all"}, "sort": {"updated"}, "direction": {"asc"},
			"since": {since.UTC().Format(time.RFC3339)}, "per_page": {strconv.Itoa(s.p.opts.PageSize)}}
		if label != "" {
			q.Set("labels", label)
		}
		return s.p.client.url(s.repoPath("issues"), q)
	}
	var lists []string
	if w.old.Watermark.IsZero() {
		// The labelled lists give every incident, but not where the next
		// sync's unfiltered list may start: most issues and pull requests
		// updated since the last incident are no incidents. Ask for the
		// most recently updated one first; the walk's watermark starts there.
		newest, err := s.newestIssueUpdate(ctx)
		if err != nil {
			return err
		}
		w.saw(newest)
		// Since the start of the history's first day: the same URL all day,
		// so its ETag can answer 304.
		day := s.since.UTC().Truncate(24 * time.Hour)
		for _, l := range labels {
			lists = append(lists, list(day, l))
		}
	} else {
		lists = []string{list(w.old.Watermark.Add(-watermarkOverlap), "")}
	}
	firstETag := ""
	for i, first := range lists {
		etag := ""
		if i == 0 && len(lists) == 1 {
			etag = etagOf(w.old.ETag, first)
		}
		for u := first; u != ""; {
			var items []restIssue
			ans, err := s.p.client.get(ctx, u, etag, &items)
			if issuesDisabled(err) {
				s.log.Info("github: issues are disabled; no incidents")
				return w.finish(ctx, "", nil)
			}
			if err != nil {
				return err
			}
			if ans.notModified {
				firstETag = w.old.ETag
				break
			}
			if i == 0 && u == first {
				firstETag = etagFor(first, ans.etag)
			}
			etag = ""
			if err := w.page(ctx, s.incidentRows(ctx, w, items, labels)); err != nil {
				return err
			}
			u = ans.next
		}
	}
	return w.finish(ctx, firstETag, nil)
}

// incidentRows writes the incidents among items and deletes those whose
// issue no longer carries an incident label.
func (s *repoSync) incidentRows(ctx context.Context, w *walk, items []restIssue, labels []string) func(b *collectors.Batch) error {
	return func(b *collectors.Batch) error {
		for _, it := range items {
			w.saw(it.UpdatedAt)
			in, isIncident, isPR := toIncident(it, labels)
			switch {
			case isPR:
				continue
			case !isIncident:
				if err := b.DeleteIncident(ctx, it.Number); err != nil {
					return err
				}
			default:
				if _, err := b.Incident(ctx, in); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// toIncident maps an issue (from the issues list or an issues webhook,
// which share its shape) to an incident. isPR reports a pull request,
// which is never an incident; isIncident an issue carrying one of labels.
func toIncident(it restIssue, labels []string) (in store.Incident, isIncident, isPR bool) {
	if len(it.PullRequest) > 0 && string(it.PullRequest) != "null" {
		return store.Incident{}, false, true
	}
	names := it.Labels.names
	if !collectors.HasLabel(names, labels) {
		return store.Incident{}, false, false
	}
	in = store.Incident{
		Number: it.Number, ProviderID: strconv.FormatInt(it.ID, 10), Title: it.Title, Labels: names,
		URL: it.HTMLURL, CreatedAt: it.CreatedAt.UTC(), UpdatedAt: it.UpdatedAt.UTC(),
	}
	if it.State == "closed" && it.ClosedAt != nil {
		in.ResolvedAt = it.ClosedAt.UTC()
	}
	return in, true, false
}

// newestIssueUpdate is the updated_at of the repo's most recently updated
// issue or pull request (zero when it has none).
func (s *repoSync) newestIssueUpdate(ctx context.Context) (time.Time, error) {
	u := s.p.client.url(s.repoPath("issues"), url.Values{"state": {"all"}, "sort": {"updated"}, "direction": {"desc"}, "per_page": {"1"}})
	var items []restIssue
	_, err := s.p.client.get(ctx, u, "", &items)
	if err != nil && !issuesDisabled(err) {
		return time.Time{}, err
	}
	if len(items) == 0 {
		return time.Time{}, nil
	}
	return items[0].UpdatedAt, nil
}

// issuesDisabled reports a 410: the repo has issues turned off.
func issuesDisabled(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusGone
}
