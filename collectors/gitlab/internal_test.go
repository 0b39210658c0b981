package gitlab

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	retryablehttp "github.com/hashicorp/go-retryablehttp"
	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
)

var base = time.Date(2025, 5, 5, 9, 0, 0, 0, time.UTC)

func TestReadyAt(t *testing.T) {
	sys := func(body string, min int) note {
		return note{System: true, Body: body, CreatedAt: base.Add(time.Duration(min) * time.Minute), Author: "a"}
	}
	for _, tc := range []struct {
		name  string
		draft bool
		notes []note
		want  time.Time
	}{
		{"never a draft", false, nil, base},
		{"opened as a draft, marked ready", false, []note{sys("marked this merge request as **ready**", 30)}, base.Add(30 * time.Minute)},
		{"ready twice: the first counts", false, []note{
			sys("marked this merge request as **ready**", 30), sys("marked this merge request as **draft**", 40),
			sys("marked this merge request as **ready**", 50)}, base.Add(30 * time.Minute)},
		{"opened ready, later a draft", false, []note{sys("marked this merge request as **draft**", 10), sys("marked this merge request as **ready**", 20)}, base},
		{"still a draft", true, nil, time.Time{}},
		{"old GitLab: WIP removed", false, []note{sys("unmarked as a **Work In Progress**", 15)}, base.Add(15 * time.Minute)},
		{"draft title, no notes", true, []note{{Body: "a comment", CreatedAt: base.Add(time.Minute), Author: "b"}}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mergeRequest{CreatedAt: base, Notes: tc.notes}
			if got := m.readyAt(tc.draft); !got.Equal(tc.want) {
				t.Errorf("readyAt = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestReviewsKeepEachPersonsFirstOfEachKind(t *testing.T) {
	m := mergeRequest{Author: "Alice", Notes: []note{
		{ID: "5", Body: "later comment", Author: "bob", CreatedAt: base.Add(3 * time.Hour)},
		{ID: "4", Body: "first comment", Author: "bob", CreatedAt: base.Add(time.Hour)},
		{ID: "6", Body: "approved this merge request", System: true, Author: "bob", CreatedAt: base.Add(4 * time.Hour)},
		{ID: "7", Body: "self reply", Author: "alice", CreatedAt: base.Add(2 * time.Hour)},
		{ID: "8", Body: "added 1 commit", System: true, Author: "alice", CreatedAt: base.Add(2 * time.Hour)},
		{ID: "9", Body: "requested changes", System: true, Author: "carol", CreatedAt: base.Add(5 * time.Hour)},
		{ID: "10", Body: "unapproved this merge request", System: true, Author: "bob", CreatedAt: base.Add(6 * time.Hour)},
	}}
	got := m.reviews()
	want := []struct{ id, who, state string }{{"4", "bob", "commented"}, {"6", "bob", "approved"}, {"9", "carol", "changes_requested"}}
	if len(got) != len(want) {
		t.Fatalf("reviews = %+v", got)
	}
	for i, w := range want {
		if got[i].ProviderID != w.id || got[i].Author != w.who || got[i].State != w.state {
			t.Errorf("review %d = %+v, want %v", i, got[i], w)
		}
	}
}

func TestDraftTitles(t *testing.T) {
	for title, want := range map[string]bool{
		"Draft: x": true, "draft: x": true, "[Draft] x": true, "(Draft) x": true, "WIP: x": true, "[WIP] x": true,
		"Drafting rules": false, "Fix draft saving": false, "x": false,
	} {
		if got := draftTitle.MatchString(title); got != want {
			t.Errorf("draft(%q) = %v, want %v", title, got, want)
		}
	}
}

func TestDiffSize(t *testing.T) {
	s := diffSize([]*gl.MergeRequestDiff{
		{Diff: "@@ -1,2 +1,3 @@\n context\n-old\n+new\n+newer\n"},
		{Diff: "@@ -0,0 +1 @@\n+--- a markdown rule\n"},
	})
	if s == nil || s.Additions != 3 || s.Deletions != 1 || s.Files != 2 {
		t.Errorf("size = %+v, want 3 additions, 1 deletion, 2 files", s)
	}
	if s := diffSize([]*gl.MergeRequestDiff{{TooLarge: true}}); s != nil {
		t.Errorf("a too-large diff gave a size: %+v", s)
	}
}

func TestGraphQLEndpointKeepsARelativeRoot(t *testing.T) {
	for in, want := range map[string]string{
		"https://gitlab.example.com/api/v4/": "https://gitlab.example.com/api/graphql",
		"https://example.com/gitlab/api/v4/": "https://example.com/gitlab/api/graphql",
		"http://127.0.0.1:8080/api/v4":       "http://127.0.0.1:8080/api/graphql",
	} {
		if got := graphqlEndpoint(in); got != want {
			t.Errorf("graphqlEndpoint(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWalkUpdatedStepsPastASecondSharedByAWholePage(t *testing.T) {
	type item struct {
		id int64
		at time.Time
	}
	// 7 items in one second, then 2 later; pages of 3, offset paging only
	// within the same updated_after.
	var all []item
	for i := range 7 {
		all = append(all, item{int64(i + 1), base})
	}
	all = append(all, item{8, base.Add(time.Minute)}, item{9, base.Add(2 * time.Minute)})
	var calls []string
	fetch := func(after time.Time, page gl.RequestOptionFunc) ([]item, *gl.Response, error) {
		var match []item
		for _, it := range all {
			if !it.at.Before(after) {
				match = append(match, it)
			}
		}
		p := 1
		if page != nil {
			req, _ := retryablehttp.NewRequest(http.MethodGet, "http://x/?page=1", nil)
			_ = page(req)
			p, _ = strconv.Atoi(req.URL.Query().Get("page"))
		}
		calls = append(calls, after.Format("15:04:05")+"#"+strconv.Itoa(p))
		start, end := min((p-1)*3, len(match)), min(p*3, len(match))
		resp := &gl.Response{Response: &http.Response{}}
		if end < len(match) {
			resp.NextPage = int64(p + 1)
		}
		return match[start:end], resp, nil
	}
	var got []int64
	var marks []time.Time
	err := walkUpdated(context.Background(), base.Add(-time.Hour), fetch,
		func(it item) time.Time { return it.at }, func(it item) int64 { return it.id },
		func(items []item, wm time.Time, last bool) error {
			for _, it := range items {
				got = append(got, it.id)
			}
			marks = append(marks, wm)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 9 {
		t.Errorf("handed over %v (calls %v), want each of the 9 once", got, calls)
	}
	for i := 1; i < len(marks); i++ {
		if marks[i].Before(marks[i-1]) {
			t.Errorf("watermark went back: %v", marks)
		}
	}
}

func TestBudgetPacing(t *testing.T) {
	now := base
	var slept []time.Duration
	b := newBudget(func() time.Time { return now }, func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }, 5*time.Minute, nil)
	h := http.Header{}
	set := func(remaining int, reset time.Duration) {
		h.Set("RateLimit-Limit", "600")
		h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
		h.Set("RateLimit-Reset", strconv.FormatInt(now.Add(reset).Unix(), 10))
		b.observe(h)
	}
	set(500, time.Minute)
	_ = b.Wait(context.Background())
	set(29, time.Minute) // below a tenth of 600: spread 29 over a minute
	_ = b.Wait(context.Background())
	set(0, 2*time.Minute)
	_ = b.Wait(context.Background())
	if len(slept) != 3 || slept[0] != 0 || slept[1] != time.Minute/30 || slept[2] != 2*time.Minute {
		t.Errorf("sleeps %v, want [0 2s 2m]", slept)
	}
	set(0, time.Hour)
	if err := b.Wait(context.Background()); !errors.Is(err, collectors.ErrRateLimited) {
		t.Errorf("reset an hour away: %v, want ErrRateLimited", err)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := base
	p := &Provider{opts: Options{Now: func() time.Time { return now }}}
	for _, tc := range []struct {
		h    map[string]string
		want time.Duration
	}{
		{map[string]string{"Retry-After": "30"}, 30 * time.Second},
		{map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second},
		{map[string]string{"RateLimit-Reset": strconv.FormatInt(now.Add(time.Minute).Unix(), 10)}, time.Minute},
		{map[string]string{}, 0},
	} {
		resp := &http.Response{StatusCode: 429, Header: http.Header{}}
		for k, v := range tc.h {
			resp.Header.Set(k, v)
		}
		if got := p.retryAfter(resp); got != tc.want {
			t.Errorf("retryAfter(%v) = %s, want %s", tc.h, got, tc.want)
		}
	}
}

func TestNewRejectsABaseURLThatIsNoURL(t *testing.T) {
	for _, bad := range []string{"gitlab.example.com/api/v4", "ftp://gitlab.example.com", "https://"} {
		if _, err := New(Options{BaseURL: bad}); err == nil {
			t.Errorf("New(%q) accepted it", bad)
		}
	}
	if _, err := New(Options{BaseURL: "https://gitlab.example.com/api/v4"}); err != nil {
		t.Errorf("a good base URL: %v", err)
	}
}
