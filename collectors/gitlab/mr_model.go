package gitlab

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tach-dev/tach/store"
)

// mergeRequest is one MR as either API gives it, with its notes and the
// earliest authored date of its commits.
type mergeRequest struct {
	ID                           string // numeric, as text
	IID                          int64
	Title                        string
	State                        string // opened, closed, merged, locked
	Draft                        bool
	Author                       string
	AuthorBot                    bool
	Labels                       []string
	CreatedAt, UpdatedAt         time.Time
	MergedAt, ClosedAt           time.Time
	TargetBranch, WebURL         string
	MergeSHA, SquashSHA, HeadSHA string
	Size                         *diffStats // nil when unknown
	Files                        []store.ChangeFile
	FilesKnown                   bool // Files are every changed file
	FirstCommitAt                time.Time
	Notes                        []note
}

type diffStats struct{ Additions, Deletions, Files int }

// note is a comment or a system note on an MR.
type note struct {
	ID        string // numeric, as text
	Body      string
	System    bool
	CreatedAt time.Time
	Author    string
	AuthorBot bool
}

// draftTitle matches the title prefixes GitLab reads as a draft.
var draftTitle = regexp.MustCompile(`(?i)^\s*(\[draft\]|\(draft\)|draft:|draft\s-\s|draft\s|wip:|\[wip\])`)

// change turns the MR into the store's change.
func (m mergeRequest) change() store.Change {
	c := store.Change{
		Number: m.IID, ProviderID: m.ID, Title: m.Title,
		Author: m.Author, AuthorIsBot: m.AuthorBot,
		State:     changeState(m.State),
		Draft:     m.Draft || draftTitle.MatchString(m.Title),
		Labels:    m.Labels,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, MergedAt: m.MergedAt,
		FirstCommitAt: m.FirstCommitAt,
		MergeSHA:      m.MergeSHA, SquashSHA: m.SquashSHA,
		BaseBranch: m.TargetBranch, URL: m.WebURL,
	}
	if c.State == store.StateClosed {
		c.ClosedAt = m.ClosedAt
	}
	// A fast-forward merge without squash makes no merge commit: the MR's
	// head commit is what lands on the target branch.
	if c.State == store.StateMerged && c.MergeSHA == "" && c.SquashSHA == "" {
		c.MergeSHA = m.HeadSHA
	}
	if m.Size != nil {
		c.Additions, c.Deletions, c.ChangedFiles, c.SizeKnown = m.Size.Additions, m.Size.Deletions, m.Size.Files, true
	}
	c.ReadyAt = m.readyAt(c.Draft)
	c.Reviews = m.reviews()
	return c
}

func changeState(s string) string {
	switch s {
	case "merged":
		return store.StateMerged
	case "closed":
		return store.StateClosed
	}
	return store.StateOpen // opened, and locked (an MR being merged)
}

// readyAt is when the MR became ready for review: its creation when it
// was not opened as a draft; else the first time it was marked ready
// (GitLab writes a system note); zero while it is a draft that never was.
func (m mergeRequest) readyAt(draftNow bool) time.Time {
	for _, n := range m.sortedNotes() {
		if !n.System {
			continue
		}
		switch {
		case isReadyNote(n.Body):
			// The first draft/ready toggle is "ready": it was opened as a draft.
			return n.CreatedAt
		case isDraftNote(n.Body):
			// The first toggle is "draft": it was opened ready.
			return m.CreatedAt
		}
	}
	if draftNow {
		return time.Time{}
	}
	return m.CreatedAt
}

// reviews are the MR's review events by anyone but its author: comments
// (non-system notes), and approvals and change requests, which GitLab
// records as system notes ("approved this merge request") since its
// approvals API carries no time. Only the earliest of each person and kind
// is kept: the first review is the earliest of someone who is neither the
// author nor a bot, which the rules decide from these.
func (m mergeRequest) reviews() []store.Review {
	type key struct{ who, state string }
	first := map[key]store.Review{}
	for _, n := range m.sortedNotes() {
		if n.Author == "" || strings.EqualFold(n.Author, m.Author) {
			continue
		}
		state := "commented"
		if n.System {
			switch {
			case isApprovalNote(n.Body):
				state = "approved"
			case isChangesRequestedNote(n.Body):
				state = "changes_requested"
			default:
				continue
			}
		}
		k := key{strings.ToLower(n.Author), state}
		if _, seen := first[k]; !seen {
			first[k] = store.Review{ProviderID: n.ID, Author: n.Author, AuthorIsBot: n.AuthorBot, State: state, SubmittedAt: n.CreatedAt}
		}
	}
	out := make([]store.Review, 0, len(first))
	for _, r := range first {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b store.Review) int {
		return cmp.Or(a.SubmittedAt.Compare(b.SubmittedAt), cmp.Compare(a.ProviderID, b.ProviderID))
	})
	return out
}

// sortedNotes returns the notes oldest first (ties by id).
func (m mergeRequest) sortedNotes() []note {
	ns := slices.Clone(m.Notes)
	slices.SortStableFunc(ns, func(a, b note) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmpNumeric(a.ID, b.ID))
	})
	return ns
}

func cmpNumeric(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA != nil || errB != nil {
		return cmp.Compare(a, b)
	}
	return cmp.Compare(x, y)
}

// System note bodies, as GitLab has written them over the years
// ("Work In Progress" before 13.x called drafts drafts).
func isReadyNote(body string) bool {
	b := strings.ToLower(body)
	return strings.Contains(b, "as **ready**") || strings.Contains(b, "unmarked as a **work in progress**")
}

func isDraftNote(body string) bool {
	b := strings.ToLower(body)
	return strings.Contains(b, "as **draft**") ||
		strings.Contains(b, "marked as a **work in progress**") && !strings.Contains(b, "unmarked")
}

func isApprovalNote(body string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(body)), "approved this merge request")
}

func isChangesRequestedNote(body string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(body)), "requested changes")
}

// numericID keeps the number at the end of a GraphQL global id
// (gid://gitlab/MergeRequest/123 → 123), so both APIs key rows alike.
func numericID(gid string) string {
	if i := strings.LastIndexByte(gid, '/'); i >= 0 {
		return gid[i+1:]
	}
	return gid
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// earliest keeps the earlier non-zero time.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
