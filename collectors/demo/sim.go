package demo

import (
	"container/heap"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tach-dev/tach/store"
)

// sim plays one repository's history forward in time, event by event, and
// writes each row as soon as it is final. What it keeps in memory is what is
// in flight: changes merged but not deployed yet, and future events.
type sim struct {
	def    repoDef
	clk    clock
	w      *writer
	repoID int64
	scale  float64
	from   time.Time // the first day of the repo's history

	people  []string
	weights []float64
	tz      map[string]time.Duration // login → offset from UTC

	r  rng // the lifecycle of each change
	rs rng // schedules, outages, deployments
	rf rng // the files of each change (files.go)

	tree *tree
	q    *lowDisc

	events eventQueue
	seq    uint64

	nextNumber int64 // the next PR/MR number (and, on GitHub, issue number)
	nextIssue  int64 // GitLab's issue iids are their own
	depSeq     int64
	ciSeq      int64
	ciStretch  float64 // a degrading change's CI runs take this much longer (degrade.go); 0: none
	reviewSeq  int64

	merged   mergeQueue // merged, not yet on the deployed mainline
	mainline []commit   // merged commits in order, from index base
	base     int
	prod     envState
	staging  envState

	lastProdAt  time.Time
	frozenUntil time.Time // a rollback is on its way: no deployments
	badHead     int       // the mainline index last rolled back: never deployed again

	changeQ, slotQ, badQ, rbQ, faQ, hotQ, dupQ quota
	botQ                                       []quota

	hostileDone, openIncidentDone bool
}

// commit is a change merged into main: what a deployment range lists.
type commit struct {
	at     time.Time
	number int64
	shas   []string // merge sha first, then the squash sha on GitLab
	title  string
	author string
	bot    bool
	files  []string // the paths it touched
}

type envState struct {
	name, tier string
	head       int // mainline index of the live sha; -1 before the first deployment
	sha        string
	prevHead   int
	prevSHA    string
}

// deployInfo is a production deployment that succeeded.
type deployInfo struct {
	finished time.Time
	sha      string
	commits  []commit // what its range brought
}

func newSim(def repoDef, clk clock, w *writer, repoID int64, seed int64, scale float64) *sim {
	s := &sim{
		def: def, clk: clk, w: w, repoID: repoID, scale: scale, from: clk.start,
		r:          newRNG(seed, def.name+"/life"),
		rs:         newRNG(seed, def.name+"/schedule"),
		rf:         newRNG(seed, def.name+"/files"),
		tree:       trees[def.tree],
		nextNumber: def.firstNumber, nextIssue: def.firstIssue,
		prod:    envState{name: def.prodEnv, tier: def.prodTier, head: -1, prevHead: -1},
		badHead: -1,
		staging: envState{name: "staging", head: -1, prevHead: -1},
	}
	if def.age == 0 {
		s.from = clk.split
	}
	if def.provider == store.GitLab && def.staging {
		s.staging.tier = "staging"
	}
	s.q = newLowDisc(newRNG(seed, def.name+"/qmc"), 5)
	s.people, s.weights = roster(def.people, def.weights, scale)
	s.tz = make(map[string]time.Duration, len(s.people))
	for i, p := range s.people {
		s.tz[p] = timeZones[def.people[i%len(def.people)]]
		if def.generated {
			s.tz[p] = def.zones[i%len(def.zones)]
		}
	}
	for _, q := range []*quota{&s.changeQ, &s.slotQ, &s.badQ, &s.rbQ, &s.faQ, &s.hotQ, &s.dupQ} {
		*q = newQuota(s.rs)
	}
	for range def.bots {
		s.botQ = append(s.botQ, newQuota(s.rs))
	}
	return s
}

// roster is the repo's people; a demo scaled up has proportionally more.
func roster(people []string, weights []float64, scale float64) ([]string, []float64) {
	n := max(len(people), int(math.Round(float64(len(people))*scale)))
	outP, outW := make([]string, n), make([]float64, n)
	for i := range n {
		outP[i], outW[i] = people[i%len(people)], weights[i%len(weights)]
		if i >= len(people) {
			outP[i] += strconv.Itoa(i/len(people) + 1)
		}
	}
	return outP, outW
}

// Events.

type evKind int

const (
	evChange evKind = iota
	evSlot
	evProd
	evRollback
	evMergeDeploy
	evIncident
)

type prodKind int

const (
	pkRegular prodKind = iota
	pkRetry
	pkRerun
	pkHotfix
	pkRollback
)

type event struct {
	at       time.Time
	seq      uint64
	kind     evKind
	change   changeSpec
	head     int // evProd, evRollback: mainline index to deploy
	pk       prodKind
	commit   commit         // evMergeDeploy
	incident store.Incident // evIncident
	open     bool           // evIncident: never resolved
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

func (s *sim) push(e event) {
	s.seq++
	e.seq = s.seq
	e.at = e.at.Truncate(time.Second)
	heap.Push(&s.events, e)
}

type mergeQueue []commit

func (q mergeQueue) Len() int { return len(q) }
func (q mergeQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].number < q[j].number
}
func (q mergeQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *mergeQueue) Push(x any)   { *q = append(*q, x.(commit)) }
func (q *mergeQueue) Pop() any {
	old := *q
	c := old[len(old)-1]
	*q = old[:len(old)-1]
	return c
}

// run plays the repo's history from its first day to End.
func (s *sim) run() error {
	s.pushSpecials()
	s.scheduleChanges(s.from)
	for d := s.from; d.Before(s.clk.end); d = d.Add(day) {
		if err := s.w.ctx.Err(); err != nil {
			return err
		}
		// Changes a day ahead: a local day of someone east of London
		// starts on the UTC day before.
		s.scheduleChanges(d.Add(day))
		s.scheduleDeploys(d)
		next := d.Add(day)
		if next.After(s.clk.end) {
			next = s.clk.end
		}
		for s.events.Len() > 0 && s.events[0].at.Before(next) {
			e := heap.Pop(&s.events).(event)
			if err := s.handle(e); err != nil {
				return fmt.Errorf("demo %s: %w", s.def.name, err)
			}
		}
	}
	return nil
}

func (s *sim) handle(e event) error {
	switch e.kind {
	case evChange:
		return s.createChange(e.change)
	case evSlot:
		return s.slot(e.at)
	case evProd:
		return s.production(e)
	case evRollback:
		return s.rollback(e)
	case evMergeDeploy:
		return s.mergeDeploy(e.commit)
	case evIncident:
		return s.writeIncident(e.incident, e.open)
	}
	return nil
}

// Human changes open mostly on weekdays.
var dayShare = [7]float64{1, 1, 1, 1, 0.9, 0.05, 0.05}

const dayShareTotal = 5.0

// scheduleChanges puts the changes opened on local day d on the queue (none
// before the repo's history starts).
func (s *sim) scheduleChanges(d time.Time) {
	p := s.period(d.Add(12 * time.Hour))
	wd := weekdayIndex(d)
	n := s.changeQ.count(s.rs, p.changes*s.scale*dayShare[wd]/dayShareTotal)
	for i := range n {
		// Spread over the author's working day, a few in the evening.
		author := s.people[s.rs.pickWeighted(s.weights)]
		at := dayAt(d, 8, 15).Add(time.Duration((float64(i) + s.rs.Float64()) / float64(n) * float64(630*time.Minute)))
		if s.rs.chance(0.05) {
			at = dayAt(d, 19, 0).Add(s.rs.between(0, 210*time.Minute))
		}
		at = at.Add(-s.tz[author]).Truncate(time.Second)
		if at.Before(s.from) {
			continue
		}
		s.push(event{at: at, kind: evChange, change: changeSpec{kind: ckHuman, at: at, author: author}})
	}
}

// scheduleDeploys puts the day's bot changes and deployment slots on the
// queue.
func (s *sim) scheduleDeploys(d time.Time) {
	p := s.period(d.Add(12 * time.Hour))
	wd := weekdayIndex(d)
	if wd < 5 {
		for i, b := range s.def.bots {
			for range s.botQ[i].count(s.rs, b.perWeek*s.scale/5) {
				at := dayAt(d, 4, 0).Add(s.rs.between(0, 3*time.Hour))
				s.push(event{at: at, kind: evChange, change: changeSpec{kind: ckBot, at: at, author: b.login}})
			}
		}
	}
	if s.def.source != "deployments" || wd >= 5 || (s.def.name == repoTerraform && s.clk.frozen(d)) {
		return
	}
	total := 0.0
	for _, w := range p.deployDays {
		total += w
	}
	n := s.slotQ.count(s.rs, p.deploys*s.scale*p.deployDays[wd]/total)
	for i := range n {
		at := dayAt(d, 9, 30).Add(time.Duration((float64(i) + 0.2 + 0.6*s.rs.Float64()) / float64(n) * float64(8*time.Hour)))
		s.push(event{at: at, kind: evSlot})
	}
}

// pushSpecials queues the one-off events of the story.
func (s *sim) pushSpecials() {
	c := s.clk
	special := func(at time.Time, author, title string, labels []string, adds, dels int, code time.Duration, part string) {
		s.push(event{at: at, kind: evChange, change: changeSpec{kind: ckHuman, at: at, author: author, title: title,
			labels: labels, additions: adds, deletions: dels, codeFor: code, part: part}})
	}
	incident := func(at time.Time, title string, resolved time.Duration) {
		s.push(event{at: at, kind: evIncident, incident: store.Incident{Title: title, CreatedAt: at, ResolvedAt: at.Add(resolved)}})
	}
	switch s.def.name {
	case repoMonolith:
		// Before any deployment of the history: attributed to none.
		incident(c.start.Add(3*time.Hour+14*time.Minute), "Checkout returns 502 during the weekend peak", 2*time.Hour+10*time.Minute)
		special(c.split.Add(day+11*time.Hour+20*time.Minute), "bob-k", "Remove the payments module (moved to acme/payments)",
			[]string{"refactor"}, 140, 4120, 5*day, "payments")
		special(c.orm.Add(-4*day+10*time.Hour+40*time.Minute), "alice-m", "Rewrite order history queries in plain SQL (first hot path)",
			[]string{"refactor", "perf"}, 910, 620, 6*day, "checkout")
	case repoPayments:
		special(c.split.Add(10*time.Hour+30*time.Minute), "bob-k", "Extract the payments service from shop-monolith",
			[]string{"refactor"}, 4380, 12, 19*day, "")
	case repoCatalog:
		special(c.cache.Add(-6*day+10*time.Hour+5*time.Minute), "ivan-t", "Cache product and category reads in Redis",
			[]string{"perf"}, 640, 85, 4*day, "cache")
	case repoTerraform:
		special(c.cache.Add(-8*day+14*time.Hour+10*time.Minute), "kemal-o", "Add an ElastiCache Redis cluster for catalog",
			[]string{"feature"}, 180, 4, 2*day, "redis")
		// In change freezes: no apply within a week before, so unattributed.
		titles := []string{"State lock held by a crashed CI runner", "Drift: security group opened by hand"}
		for i, f := range c.freezes {
			incident(f[0].Add(9*day+10*time.Hour+25*time.Minute), titles[i%len(titles)], 3*time.Hour+40*time.Minute)
		}
	}
}

// Changes.

type changeKind int

const (
	ckHuman changeKind = iota
	ckBot
	ckHotfix
	ckRevert
)

type changeSpec struct {
	kind   changeKind
	at     time.Time
	author string
	title  string
	labels []string
	// ckHuman specials: a fixed size and coding time.
	additions, deletions int
	codeFor              time.Duration
	// ckHotfix: when it is reviewed and merged.
	reviewAt, mergeAt time.Time
	// Files: a special's part of the tree; a revert's files.
	part    string
	reverts []string
	// main is the index+1 of the part a change keeps to, when chosen
	// before its life (0: chosen with its files).
	main int
	// degraded is how many weeks its part had been degrading when it was
	// opened (degrade.go).
	degraded float64
}

// life is a change's whole lifecycle, before it is cut at End.
type life struct {
	author       string
	title        string
	labels       []string
	bot          bool
	firstCommit  time.Time
	created      time.Time
	ready        time.Time
	merged       time.Time
	closed       time.Time
	draftForever bool
	reviews      []store.Review
	pushes       []time.Time
	additions    int
	deletions    int
	changedFiles int
	files        fileSpec
}

func (s *sim) person() string { return s.people[s.r.pickWeighted(s.weights)] }

func (s *sim) reviewer(author string) string {
	for range 20 {
		if p := s.people[s.r.pickWeighted(s.weights)]; p != author {
			return p
		}
	}
	return "tech-lead"
}

func (s *sim) review(author, state string, at time.Time, bot bool) store.Review {
	s.reviewSeq++
	return store.Review{ProviderID: strconv.FormatInt(s.def.firstNumber*1000+s.reviewSeq, 10), Author: author,
		AuthorIsBot: bot, State: state, SubmittedAt: at.Truncate(time.Second)}
}

func (s *sim) createChange(sp changeSpec) error {
	sp.at, sp.reviewAt, sp.mergeAt = sp.at.Truncate(time.Second), sp.reviewAt.Truncate(time.Second), sp.mergeAt.Truncate(time.Second)
	var lf life
	switch sp.kind {
	case ckHuman:
		if s.def.name == repoMonolith && sp.part == "" {
			sp.main = 1 + s.rf.pickWeighted(s.partWeights(sp.at, true))
			if s.tree.parts[sp.main-1].name == degradingModule {
				sp.degraded = s.clk.degradedWeeks(sp.at)
			}
		}
		lf = s.humanLife(sp)
	case ckBot:
		lf = s.botLife(sp)
	case ckHotfix, ckRevert:
		lf = s.fixLife(sp)
	}
	lf.files = fileSpec{kind: sp.kind, part: sp.part, reverts: sp.reverts, main: sp.main, degraded: sp.degraded}
	return s.finish(lf)
}

func (s *sim) humanLife(sp changeSpec) life {
	r, p := s.r, s.period(sp.at)
	z := s.q.normals()
	wait, grow := 1.0, 1.0
	if sp.degraded > 0 {
		wait, grow = degradeLife(sp.degraded, z)
	}
	lf := life{created: sp.at, author: sp.author, title: sp.title, labels: sp.labels}
	if lf.author == "" {
		lf.author = s.person()
	}
	if lf.title == "" {
		lf.labels = labelChoices[r.pickWeighted(labelWeights)]
		lf.title = title(r, lf.labels, s.def.areas, s.def.name == repoMonolith && !sp.at.Before(s.clk.orm))
		if sp.degraded > 0 && s.rf.chance(math.Min(0.4, 0.1+0.02*sp.degraded)) {
			lf.labels = []string{"bug"} // more and more of its work is fixing it
		}
		if s.def.name == repoWeb && !s.hostileDone && !sp.at.Before(s.clk.start.Add(60*day)) {
			s.hostileDone = true
			lf.title, lf.labels = hostileTitle, []string{"bug", "security"}
		}
	}
	// Durations are working time (see addWork).
	code := lnFrom(12*time.Hour, 0.75, z[0], 10*time.Minute, 8*week)
	tzA := s.tz[lf.author]
	lf.firstCommit = subWork(sp.at, code, tzA)
	if sp.codeFor > 0 {
		lf.firstCommit = sp.at.Add(-sp.codeFor)
	}
	lf.ready = sp.at
	draft := r.chance(0.12)
	if draft {
		lf.ready = r.work(sp.at, lnFrom(8*time.Hour, 0.8, z[1], 20*time.Minute, 4*week), tzA)
	}
	pickup := lnFrom(time.Duration(float64(75*time.Minute)*p.pickup*wait), 0.85, z[2], 2*time.Minute, 6*week)
	reviewFor := lnFrom(time.Duration(float64(100*time.Minute)*p.review*wait), 0.85, z[3], 3*time.Minute, 8*week)
	size := int(math.Round(110 * p.size * grow * math.Exp(0.95*z[4])))
	size = min(max(size, 1), 9000)

	// Work left open at End on purpose: drafts, PRs nobody picked up, and
	// very large ones.
	end := s.clk.end
	recent := !sp.at.Before(end.Add(-21 * day))
	stale := !draft && !sp.at.Before(end.Add(-8*day)) && sp.at.Before(end.Add(-60*time.Hour)) && r.chance(0.15)
	large := recent && !stale && r.chance(0.05)
	lf.draftForever = draft && recent && r.chance(0.3)
	if large {
		size = 2500 + r.IntN(4500)
	}
	lf.setSize(r, size, lf.labels)
	if sp.degraded > 0 && slices.Contains(lf.labels, "bug") {
		lf.changedFiles = min(lf.changedFiles, 3) // a fix goes to the fragile file and a test or two
	}
	if sp.additions > 0 || sp.deletions > 0 {
		lf.additions, lf.deletions = sp.additions, sp.deletions
		lf.changedFiles = max(1, (sp.additions+sp.deletions)/30)
	}

	if s.def.botReviews && r.chance(0.75) {
		lf.reviews = append(lf.reviews, s.review("github-actions[bot]", "commented", lf.ready.Add(r.between(2*time.Minute, 9*time.Minute)), true))
	}
	switch {
	case lf.draftForever || stale:
		// Nobody has looked yet.
	case large:
		rev := s.reviewer(lf.author)
		lf.reviews = append(lf.reviews, s.review(rev, "commented", r.work(lf.ready, pickup, s.tz[rev]), false))
	case r.chance(0.05):
		// Abandoned.
		lf.closed = r.work(lf.ready, r.logNormal(16*time.Hour, 0.8, time.Hour, 10*week), tzA)
		if rev := s.reviewer(lf.author); r.chance(0.5) {
			lf.reviews = append(lf.reviews, s.review(rev, "commented", r.work(lf.ready, pickup, s.tz[rev]), false))
		}
	case r.chance(0.07):
		// Merged without review.
		lf.merged = r.work(lf.ready, lnFrom(90*time.Minute, 1, z[3], 3*time.Minute, 4*week), tzA)
	default:
		rev := s.reviewer(lf.author)
		first := r.work(lf.ready, pickup, s.tz[rev])
		if gap := first.Sub(lf.ready); gap > 4*time.Minute && r.chance(0.2) {
			// The author answers a question in a comment: not a review.
			at := lf.ready.Add(time.Duration(float64(gap) * (0.1 + 0.5*r.Float64())))
			lf.reviews = append(lf.reviews, s.review(lf.author, "commented", at, false))
		}
		approved := first
		switch u := r.Float64(); {
		case u < 0.65:
			lf.reviews = append(lf.reviews, s.review(rev, "approved", first, false))
		default:
			state := "changes_requested"
			if u >= 0.9 {
				state = "commented"
			}
			lf.reviews = append(lf.reviews, s.review(rev, state, first, false))
			approved = r.work(first, time.Duration(float64(reviewFor)*(0.5+0.35*r.Float64())).Truncate(time.Second), s.tz[rev])
			lf.reviews = append(lf.reviews, s.review(rev, "approved", approved, false))
		}
		if r.chance(0.3) {
			second := s.reviewer(lf.author)
			if second != rev {
				lf.reviews = append(lf.reviews, s.review(second, "approved", approved.Add(r.between(5*time.Minute, 2*time.Hour)), false))
			}
		}
		lf.merged = latest(r.work(first, reviewFor, tzA), approved.Add(r.between(2*time.Minute, 30*time.Minute)))
	}
	lf.pushes = s.pushTimes(lf)
	return lf
}

func (lf *life) setSize(r rng, size int, labels []string) {
	share := 0.55 + 0.35*r.Float64()
	if slices.Contains(labels, "refactor") {
		share = 0.35 + 0.25*r.Float64()
	}
	lf.additions = max(1, int(math.Round(float64(size)*share)))
	lf.deletions = max(0, size-lf.additions)
	lf.changedFiles = max(1, min(400, int(math.Round(float64(size)/35*(0.6+0.8*r.Float64())))))
}

// pushTimes are the times commits were pushed to the change's branch: when
// it was opened, and a few more before it was merged or closed.
func (s *sim) pushTimes(lf life) []time.Time {
	out := []time.Time{lf.created.Add(s.r.between(5*time.Second, 40*time.Second))}
	until := lf.merged
	if until.IsZero() {
		until = lf.closed
	}
	if until.IsZero() {
		until = lf.created.Add(4 * day)
	}
	if span := until.Sub(lf.created); span > 10*time.Minute {
		extra := s.r.pickWeighted([]float64{0.35, 0.35, 0.2, 0.1})
		for range extra {
			out = append(out, lf.created.Add(time.Duration(s.r.Int64N(int64(span-5*time.Minute)))))
		}
		slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	}
	return out
}

func (s *sim) botLife(sp changeSpec) life {
	r := s.r
	lf := life{created: sp.at, ready: sp.at, author: sp.author, bot: true, labels: []string{"dependencies"}}
	lf.title = botTitle(r, sp.author, s.def.deps)
	lf.firstCommit = sp.at.Add(-r.between(30*time.Second, 2*time.Minute))
	lf.setSize(r, min(3000, max(2, int(math.Round(14*math.Exp(r.NormFloat64()))))), nil)
	if s.def.botReviews && r.chance(0.5) {
		lf.reviews = append(lf.reviews, s.review("github-actions[bot]", "commented", sp.at.Add(r.between(2*time.Minute, 9*time.Minute)), true))
	}
	switch u := r.Float64(); {
	case u < 0.6:
		who := s.person()
		at := r.work(sp.at, r.logNormal(3*time.Hour, 1, 10*time.Minute, 4*week), s.tz[who])
		lf.reviews = append(lf.reviews, s.review(who, "approved", at, false))
		lf.merged = r.work(at, r.between(2*time.Minute, 3*time.Hour), s.tz[who])
	case u < 0.85:
		lf.merged = sp.at.Add(r.logNormal(40*time.Minute, 0.5, 10*time.Minute, 6*time.Hour))
	default:
		lf.closed = sp.at.Add(r.logNormal(5*day, 0.6, day, 30*day)) // superseded by a newer version
	}
	lf.pushes = s.pushTimes(lf)
	return lf
}

// fixLife is a hotfix or a revert: small, reviewed and merged in a hurry.
func (s *sim) fixLife(sp changeSpec) life {
	r := s.r
	lf := life{created: sp.at, ready: sp.at, author: sp.author, title: sp.title, labels: sp.labels}
	if lf.author == "" {
		lf.author = s.person()
	}
	lf.firstCommit = sp.at.Add(-r.between(5*time.Minute, 25*time.Minute))
	lf.setSize(r, 2+r.IntN(40), nil)
	reviewAt, mergeAt := sp.reviewAt, sp.mergeAt
	rev := s.reviewer(lf.author)
	if sp.kind == ckRevert {
		reviewAt = r.work(sp.at, r.logNormal(30*time.Minute, 0.6, 3*time.Minute, 8*time.Hour), s.tz[rev])
		mergeAt = reviewAt.Add(r.between(3*time.Minute, 40*time.Minute))
		lf.additions, lf.deletions = lf.deletions, lf.additions
	}
	if s.def.botReviews {
		lf.reviews = append(lf.reviews, s.review("github-actions[bot]", "commented", sp.at.Add(r.between(2*time.Minute, 5*time.Minute)), true))
	}
	lf.reviews = append(lf.reviews, s.review(rev, "approved", reviewAt, false))
	lf.merged = mergeAt
	lf.pushes = []time.Time{sp.at.Add(r.between(5*time.Second, 40*time.Second))}
	return lf
}

// finish cuts a lifecycle at End, writes the change with its reviews and CI
// runs, and puts it on the way to production if it was merged.
func (s *sim) finish(lf life) error {
	end := s.clk.end
	for _, t := range []*time.Time{&lf.firstCommit, &lf.created, &lf.ready, &lf.merged, &lf.closed} {
		*t = t.Truncate(time.Second)
	}
	for i := range lf.pushes {
		lf.pushes[i] = lf.pushes[i].Truncate(time.Second)
	}
	num := s.nextNumber
	s.nextNumber++
	c := store.Change{
		RepoID: s.repoID, Number: num, Title: lf.title, Author: lf.author, AuthorIsBot: lf.bot,
		Labels: lf.labels, CreatedAt: lf.created, FirstCommitAt: lf.firstCommit,
		Additions: lf.additions, Deletions: lf.deletions, ChangedFiles: lf.changedFiles, SizeKnown: true,
		BaseBranch: "main", State: store.StateOpen,
	}
	if s.def.provider == store.GitLab {
		c.ProviderID = strconv.FormatInt(s.def.firstNumber*7919+num, 10)
		c.URL = fmt.Sprintf("%s/-/merge_requests/%d", s.def.url(), num)
	} else {
		c.ProviderID = fmt.Sprintf("PR_kwDO%s%06d", s.def.providerID[7:11], num)
		c.URL = fmt.Sprintf("%s/pull/%d", s.def.url(), num)
	}
	updated := lf.created
	if lf.draftForever || !lf.ready.Before(end) {
		c.Draft = true
	} else {
		c.ReadyAt = lf.ready
		updated = latest(updated, lf.ready)
	}
	for _, rv := range lf.reviews {
		if rv.SubmittedAt.Before(end) {
			c.Reviews = append(c.Reviews, rv)
			updated = latest(updated, rv.SubmittedAt)
		}
	}
	switch {
	case !lf.draftForever && !lf.merged.IsZero() && lf.merged.Before(end):
		c.State, c.MergedAt = store.StateMerged, lf.merged
		c.MergeSHA = sha(s.def.name, "merge", num, 0)
		if s.def.provider == store.GitLab {
			c.SquashSHA = sha(s.def.name, "squash", num, 0)
		} else {
			c.ClosedAt = lf.merged
		}
		updated = latest(updated, lf.merged)
	case !lf.closed.IsZero() && lf.closed.Before(end):
		c.State, c.ClosedAt = store.StateClosed, lf.closed
		updated = latest(updated, lf.closed)
	}
	branch := fmt.Sprintf("%s/%d", strings.TrimSuffix(lf.author, "[bot]"), num)
	for j, at := range lf.pushes {
		if !at.Before(end) {
			break
		}
		updated = latest(updated, at)
		last := j == len(lf.pushes)-1
		head := sha(s.def.name, "head", num, j)
		if s.def.generated {
			// A large organisation's repo: one CI run for the branch as
			// merged, and a lint run for some.
			if !last {
				continue
			}
			if err := s.ciRun("ci", branch, head, at, s.prConclusion(true)); err != nil {
				return err
			}
			if s.r.chance(s.def.lintShare) {
				if err := s.ciRun("lint", branch, head, at, "success"); err != nil {
					return err
				}
			}
			continue
		}
		if err := s.ciRun("ci", branch, head, at, s.prConclusion(last)); err != nil {
			return err
		}
		lint := pick(s.r, []string{"success", "success", "success", "success", "success", "success", "success", "success", "failure", "skipped"})
		if err := s.ciRun("lint", branch, head, at, lint); err != nil {
			return err
		}
	}
	c.UpdatedAt = updated
	if lf.files.degraded > 0 {
		s.ciStretch = math.Pow(degradeCI, lf.files.degraded)
		defer func() { s.ciStretch = 0 }()
	}
	files := s.changeFiles(c, lf.files)
	if err := s.w.change(c, files); err != nil {
		return err
	}
	if c.State != store.StateMerged {
		return nil
	}
	main := "success"
	if u := s.r.Float64(); u < 0.05 {
		main = "failure"
	} else if u < 0.07 {
		main = "cancelled"
	}
	if err := s.ciRun("ci", "main", c.MergeSHA, c.MergedAt.Add(4*time.Second), main); err != nil {
		return err
	}
	cm := commit{at: c.MergedAt, number: num, shas: []string{c.MergeSHA}, title: c.Title, author: c.Author, bot: c.AuthorIsBot, files: paths(files)}
	if c.SquashSHA != "" {
		cm.shas = append(cm.shas, c.SquashSHA)
	}
	if s.def.source == "merges" {
		s.push(event{at: c.MergedAt, kind: evMergeDeploy, commit: cm})
		return nil
	}
	heap.Push(&s.merged, cm)
	if s.def.deployOnMerge {
		s.push(event{at: c.MergedAt.Add(s.rs.between(15*time.Minute, 40*time.Minute)), kind: evSlot})
	}
	return nil
}

func (s *sim) prConclusion(last bool) string {
	u := s.r.Float64()
	switch {
	case last && u < 0.95, !last && u < 0.6:
		return "success"
	case last, u < 0.87:
		return "failure"
	}
	return "cancelled"
}

// ciRun writes a workflow run (GitHub) or pipeline (GitLab) triggered at at.
func (s *sim) ciRun(name, branch, headSHA string, at time.Time, conclusion string) error {
	r, end := s.r, s.clk.end
	created := at.Add(r.between(3*time.Second, 20*time.Second))
	if !created.Before(end) {
		return nil
	}
	started := created.Add(r.logNormal(35*time.Second, 0.6, 2*time.Second, 10*time.Minute))
	sigma := 0.3
	if s.ciStretch > 0 && name == "ci" {
		sigma = 0.3 * degradeNoise
	}
	dur := r.logNormal(s.def.ciMinutes, sigma, 30*time.Second, 2*time.Hour)
	if s.ciStretch > 0 && name == "ci" {
		dur = time.Duration(float64(dur) * s.ciStretch).Truncate(time.Second)
	}
	if name == "lint" {
		dur = r.logNormal(90*time.Second, 0.3, 15*time.Second, 20*time.Minute)
	}
	switch conclusion {
	case "failure":
		dur = dur * 6 / 10
	case "cancelled":
		dur = time.Duration(float64(dur) * (0.1 + 0.4*r.Float64())).Truncate(time.Second)
	case "skipped":
		started, dur = created, time.Second
	}
	finished := started.Add(dur)
	s.ciSeq++
	run := store.CIRun{
		RepoID: s.repoID, Name: name, Branch: branch, SHA: headSHA, Status: "completed", Conclusion: conclusion,
		CreatedAt: created, StartedAt: started, FinishedAt: finished, UpdatedAt: finished,
	}
	run.Event = "pull_request"
	if branch == "main" {
		run.Event = "push"
	}
	if s.def.provider == store.GitLab {
		id := 1_100_000_000 + s.ciSeq*3
		run.ProviderID = strconv.FormatInt(id, 10)
		run.URL = fmt.Sprintf("%s/-/pipelines/%d", s.def.url(), id)
		if run.Event == "pull_request" {
			run.Event = "merge_request_event"
		}
	} else {
		id := 9_000_000_000 + s.def.firstNumber*1_000_000 + s.ciSeq*7
		run.ProviderID = strconv.FormatInt(id, 10)
		run.URL = fmt.Sprintf("%s/actions/runs/%d", s.def.url(), id)
	}
	if !finished.Before(end) {
		run.Status, run.Conclusion, run.FinishedAt, run.UpdatedAt = "in_progress", "", time.Time{}, started
	}
	return s.w.ciRun(run)
}

// Deployments.

// pullMerged moves the changes merged at or before t onto the mainline.
func (s *sim) pullMerged(t time.Time) {
	for s.merged.Len() > 0 && !s.merged[0].at.After(t) {
		s.mainline = append(s.mainline, heap.Pop(&s.merged).(commit))
	}
}

func (s *sim) headIdx() int { return s.base + len(s.mainline) - 1 }

// trim forgets the mainline below every sha a range or rollback may still
// start from.
func (s *sim) trim() {
	keep := min(s.prod.head, s.prod.prevHead)
	if s.def.staging {
		keep = min(keep, s.staging.head)
	}
	if n := keep - s.base; n > 0 {
		s.mainline = slices.Delete(s.mainline, 0, n)
		s.base = keep
	}
}

// slot is a regular deployment: to staging first where the repo has it,
// then production.
func (s *sim) slot(t time.Time) error {
	if t.Before(s.frozenUntil) {
		return nil
	}
	s.pullMerged(t)
	h := s.headIdx()
	if h < 0 {
		return nil
	}
	if h == s.prod.head {
		// Nothing new: sometimes a scheduled job is re-run anyway.
		if !s.def.deployOnMerge && s.rs.chance(0.25) {
			s.push(event{at: t, kind: evProd, head: h, pk: pkRerun})
		}
		return nil
	}
	if !s.def.staging {
		s.push(event{at: t, kind: evProd, head: h, pk: pkRegular})
		return nil
	}
	if h != s.staging.head {
		status := "success"
		if s.rs.chance(0.03) {
			status = "failure"
		}
		if _, err := s.deploy(&s.staging, h, t, status, "github-actions[bot]"); err != nil || status != "success" {
			return err
		}
	}
	at := latest(t.Add(s.rs.between(40*time.Minute, 150*time.Minute)), s.lastProdAt.Add(10*time.Minute))
	s.lastProdAt = at
	s.push(event{at: at, kind: evProd, head: h, pk: pkRegular})
	return nil
}

func (s *sim) production(e event) error {
	t, h := e.at, e.head
	if t.Before(s.frozenUntil) {
		return nil
	}
	if e.pk == pkHotfix {
		s.pullMerged(t)
		h = s.headIdx()
	}
	if h < 0 || h < s.prod.head || (h == s.prod.head && e.pk != pkRerun) || (h <= s.badHead && h != s.prod.head) {
		// A newer sha is live already, nothing is new, or it is the sha
		// just rolled back (deploying it again would undo the rollback).
		return nil
	}
	creator := "github-actions[bot]"
	if s.def.provider == store.GitLab {
		creator = s.person()
	}
	if e.pk == pkHotfix || e.pk == pkRerun {
		creator = s.person()
	}
	if e.pk == pkRegular && s.faQ.take(s.rs, s.def.failedAttempt) {
		status := "failure"
		if s.rs.chance(0.3) {
			status = "error"
		}
		if _, err := s.deploy(&s.prod, h, t, status, creator); err != nil {
			return err
		}
		s.push(event{at: t.Add(s.rs.between(15*time.Minute, 45*time.Minute)), kind: evProd, head: h, pk: pkRetry})
		return nil
	}
	info, err := s.deploy(&s.prod, h, t, "success", creator)
	if err != nil || info == nil {
		return err
	}
	return s.afterProduction(*info, e.pk)
}

func (s *sim) rollback(e event) error {
	s.frozenUntil = time.Time{}
	info, err := s.deploy(&s.prod, e.head, e.at, "success", s.person())
	if err != nil || info == nil {
		return err
	}
	return s.afterProduction(*info, pkRollback)
}

// deploy writes a deployment of mainline index h to env. A success moves
// the env's live sha and stores the commit range from the previous one; it
// returns what the deployment brought.
func (s *sim) deploy(env *envState, h int, t time.Time, status, creator string) (*deployInfo, error) {
	end := s.clk.end
	s.depSeq++
	sha := s.mainline[h-s.base].shas[0]
	finished := t.Add(s.rs.logNormal(s.def.deployMinutes, 0.3, time.Minute, 40*time.Minute))
	if status != "success" {
		finished = t.Add(s.rs.between(2*time.Minute, 7*time.Minute))
	}
	d := store.Deployment{
		RepoID: s.repoID, Source: "deployments", Environment: env.name, EnvironmentTier: env.tier,
		SHA: sha, Ref: "main", Status: status, Creator: creator, CreatedAt: t, FinishedAt: finished, UpdatedAt: finished,
	}
	if h < env.head {
		d.Ref = sha // a rollback names the commit
	}
	if s.def.provider == store.GitLab {
		id := 610_000_000 + s.depSeq*11
		d.ProviderID = strconv.FormatInt(id, 10)
		d.URL = fmt.Sprintf("%s/-/environments/%s/deployments/%d", s.def.url(), env.name, s.depSeq)
	} else {
		id := 1_400_000_000 + s.def.firstNumber*100_000 + s.depSeq*13
		d.ProviderID = strconv.FormatInt(id, 10)
		d.URL = fmt.Sprintf("%s/deployments/%s", s.def.url(), env.name)
	}
	if !finished.Before(end) {
		// Still running at End.
		d.Status, d.FinishedAt, d.UpdatedAt = "pending", time.Time{}, t
		return nil, s.w.deployment(d, nil)
	}
	if status != "success" {
		return nil, s.w.deployment(d, nil)
	}
	info := &deployInfo{finished: finished, sha: sha}
	shas := []string{}
	if h > env.head {
		from := max(env.head+1, s.base) - s.base
		info.commits = slices.Clone(s.mainline[from : h-s.base+1])
		for _, c := range info.commits {
			shas = append(shas, c.shas...)
		}
	}
	if env.sha != sha {
		env.prevHead, env.prevSHA = env.head, env.sha
	}
	env.head, env.sha = h, sha
	s.trim()
	return info, s.w.deployment(d, shas)
}

// mergeDeploy is the synthetic deployment of a change merged into main
// (source merges): it ships itself when it is merged.
func (s *sim) mergeDeploy(c commit) error {
	d := store.Deployment{
		RepoID: s.repoID, Source: "merges", ProviderID: strconv.FormatInt(c.number, 10), Environment: "production",
		SHA: c.shas[0], Ref: "main", Status: "success", Creator: c.author,
		URL:       fmt.Sprintf("%s/pull/%d", s.def.url(), c.number),
		CreatedAt: c.at, FinishedAt: c.at, UpdatedAt: c.at,
	}
	if err := s.w.deployment(d, nil); err != nil {
		return err
	}
	return s.afterProduction(deployInfo{finished: c.at, sha: c.shas[0], commits: []commit{c}}, pkRegular)
}

// afterProduction decides what a production deployment that succeeded
// caused: usually nothing; sometimes an outage.
func (s *sim) afterProduction(info deployInfo, pk prodKind) error {
	if pk == pkRollback {
		return nil
	}
	end := s.clk.end
	if s.def.name == repoPayments && !s.openIncidentDone && !info.finished.Before(end.Add(-9*day)) && info.finished.Before(end.Add(-2*day)) {
		// The one incident still open at End.
		s.openIncidentDone = true
		at := info.finished.Add(95 * time.Minute)
		s.push(event{at: at, kind: evIncident, open: true, incident: store.Incident{Title: "Refund webhooks delayed for some merchants", CreatedAt: at}})
		return nil
	}
	p := s.period(info.finished)
	if !s.badQ.take(s.rs, p.failP) {
		if pk == pkRegular && s.def.source == "deployments" && s.rs.chance(0.02) {
			// Someone re-runs the deploy job: the same sha again.
			s.push(event{at: info.finished.Add(s.rs.between(10*time.Minute, 50*time.Minute)), kind: evProd, head: s.prod.head, pk: pkRerun})
		}
		return nil
	}
	return s.outage(info, p)
}

// outage is a bad production deployment: an incident (sometimes reported
// twice), and a rollback, a revert, or a hotfix.
func (s *sim) outage(info deployInfo, p period) error {
	r := s.rs
	ttr := r.logNormal(p.ttr, p.ttrSigma, 30*time.Minute, 47*time.Hour)
	var created, resolved time.Time
	if s.def.source == "deployments" && s.prod.prevSHA != "" && s.prod.prevSHA != info.sha && s.rbQ.take(r, s.def.rollbackShare) {
		created = info.finished.Add(r.between(8*time.Minute, 30*time.Minute))
		rb := created.Add(r.between(10*time.Minute, 40*time.Minute))
		s.push(event{at: rb, kind: evRollback, head: s.prod.prevHead})
		s.frozenUntil, s.badHead = rb.Add(time.Minute), s.prod.head
		resolved = latest(created.Add(ttr), rb.Add(15*time.Minute+r.between(0, 30*time.Minute)))
		var human []commit
		for _, c := range info.commits {
			if !c.bot {
				human = append(human, c)
			}
		}
		if len(human) > 0 && r.chance(s.def.revertShare) {
			c := pick(r, human)
			at := rb.Add(r.between(20*time.Minute, 2*time.Hour))
			s.push(event{at: at, kind: evChange, change: changeSpec{kind: ckRevert, at: at, author: c.author, title: `Revert "` + c.title + `"`, reverts: c.files}})
		}
	} else {
		created = info.finished.Add(r.logNormal(90*time.Minute, 0.9, 10*time.Minute, 30*time.Hour))
		resolved = created.Add(ttr)
		if s.hotQ.take(r, s.def.hotfixShare) {
			frac := func(f float64) time.Time { return created.Add(time.Duration(float64(ttr) * f)) }
			at := latest(frac(0.12), created.Add(4*time.Minute))
			s.push(event{at: at, kind: evChange, change: changeSpec{kind: ckHotfix, at: at,
				title: hotfixTitle(r, pick(r, s.def.areas)), labels: []string{"hotfix"},
				reviewAt: latest(frac(0.25), at.Add(2*time.Minute)), mergeAt: latest(frac(0.45), at.Add(5*time.Minute))}})
			if s.def.source == "deployments" {
				s.push(event{at: latest(frac(0.6), at.Add(9*time.Minute)), kind: evProd, pk: pkHotfix})
			}
		}
	}
	s.push(event{at: created, kind: evIncident, incident: store.Incident{CreatedAt: created, ResolvedAt: resolved}})
	if s.def.dupShare > 0 && s.dupQ.take(r, s.def.dupShare) {
		// Support files the same outage a second time.
		at := created.Add(r.between(5*time.Minute, 40*time.Minute))
		res := latest(resolved.Add(r.between(-10*time.Minute, 20*time.Minute)), at.Add(30*time.Minute))
		s.push(event{at: at, kind: evIncident, incident: store.Incident{CreatedAt: at, ResolvedAt: res}})
	}
	return nil
}

var severities = []string{"sev-1", "sev-2", "sev-2", "sev-3", "sev-3", "sev-3"}

// writeIncident numbers and writes an incident. One that would be resolved
// after End is left out (the demo has exactly one open incident), unless
// open says it is that one.
func (s *sim) writeIncident(in store.Incident, open bool) error {
	if open {
		in.ResolvedAt = time.Time{}
	} else if !in.ResolvedAt.Before(s.clk.end) {
		return nil
	}
	if in.Title == "" {
		in.Title = pick(s.rs, s.def.incidentTitles)
	}
	in.RepoID = s.repoID
	in.Labels = []string{"incident", pick(s.rs, severities)}
	in.CreatedAt, in.ResolvedAt = in.CreatedAt.Truncate(time.Second), in.ResolvedAt.Truncate(time.Second)
	in.UpdatedAt = latest(in.CreatedAt, in.ResolvedAt)
	if s.def.provider == store.GitLab {
		in.Number = s.nextIssue
		s.nextIssue++
		in.ProviderID = strconv.FormatInt(s.def.firstNumber*104729+in.Number, 10)
		in.URL = fmt.Sprintf("%s/-/issues/%d", s.def.url(), in.Number)
	} else {
		in.Number = s.nextNumber
		s.nextNumber++
		in.ProviderID = fmt.Sprintf("I_kwDO%s%06d", s.def.providerID[7:11], in.Number)
		in.URL = fmt.Sprintf("%s/issues/%d", s.def.url(), in.Number)
	}
	return s.w.incident(in)
}
