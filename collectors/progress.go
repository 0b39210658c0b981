package collectors

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Tracker follows a sync run as it goes: per repo, the resource in hand,
// the items written so far, requests used and rate limit left. The CLI
// draws it as progress bars; the server shows it on the sync page.
type Tracker struct {
	mu    sync.Mutex
	repos map[string]*RepoProgress
}

// RepoProgress is one repo's progress.
type RepoProgress struct {
	Repo          string
	Resource      string         // the resources in hand, comma-separated
	Items         map[string]int // rows written per resource
	Requests      int
	RateRemaining int // -1 when unknown
	Started       time.Time
	Done          bool
	Err           error

	active []string // the resources running (Sink.RunSteps), in the order they started
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker { return &Tracker{repos: map[string]*RepoProgress{}} }

func (t *Tracker) get(repo string) *RepoProgress {
	p := t.repos[repo]
	if p == nil {
		p = &RepoProgress{Repo: repo, Items: map[string]int{}, RateRemaining: -1}
		t.repos[repo] = p
	}
	return p
}

func (t *Tracker) start(repo string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.get(repo)
	p.Started, p.Done, p.Err = time.Now(), false, nil
}

func (t *Tracker) finish(repo string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.get(repo)
	p.Done, p.Err, p.Resource, p.active = true, err, "", nil
}

// working records that a resource of repo started (on) or finished
// running: while some run, they are the resources in hand.
func (t *Tracker) working(repo, resource string, on bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.get(repo)
	p.active = slices.DeleteFunc(p.active, func(r string) bool { return r == resource })
	if on {
		p.active = append(p.active, resource)
	}
	p.Resource = strings.Join(p.active, ", ")
}

// inHand notes the resource a provider that runs one at a time is on.
func (p *RepoProgress) inHand(resource string) {
	if len(p.active) == 0 {
		p.Resource = resource
	}
}

func (t *Tracker) items(repo, resource string, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.get(repo)
	p.inHand(resource)
	p.Items[resource] = n
}

func (t *Tracker) requests(repo, resource string, n, remaining int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.get(repo)
	p.inHand(resource)
	p.Requests = n
	if remaining >= 0 {
		p.RateRemaining = remaining
	}
}

// Snapshot returns a copy of every repo's progress, by repo name.
func (t *Tracker) Snapshot() []RepoProgress {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]RepoProgress, 0, len(t.repos))
	for _, p := range t.repos {
		c := *p
		c.active = nil
		c.Items = make(map[string]int, len(p.Items))
		for k, v := range p.Items {
			c.Items[k] = v
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Repo < out[j].Repo })
	return out
}
