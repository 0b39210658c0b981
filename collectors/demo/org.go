package demo

import (
	"fmt"
	"time"

	"github.com/tach-dev/tach/store"
)

// The demo organisation, Acme: who works where, how often each repository
// ships, and the three decisions whose effects are built into the numbers.
// Everything that changes over time changes here, in period.

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// Weeks before End at which things happen. Each decision falls on a Monday,
// and nothing else moves within 8 weeks either side of it in its scope.
const (
	historyWeeks    = 52 // the data starts 52 weeks before End
	splitWeeks      = 30 // payments is split out of the monolith
	catalogHotWeeks = 26 // catalog starts timing out under load
	cacheWeeks      = 17 // catalog reads are cached in Redis
	ormWeeks        = 11 // hand-written SQL replaces the ORM on the monolith's hot paths
)

// Terraform change freezes (weeks before End, 3 weeks each): no applies,
// so an incident in one is beyond every deployment's window.
var freezeWeeks = []int{46, 8}

// The repositories.
const (
	repoMonolith  = "acme/shop-monolith"
	repoCatalog   = "acme/catalog"
	repoPayments  = "acme/payments"
	repoWeb       = "acme/web"
	repoTerraform = "acme-platform/infra/terraform"
)

const (
	teamCheckout = "checkout"
	teamPlatform = "platform"
)

const hostileTitle = "<script>alert(1)</script> Fix XSS in search"

// clock holds the dates of the demo's history, from End.
type clock struct {
	start, end             time.Time
	split, hot, cache, orm time.Time
	degrade                time.Time // the monolith's search module starts to degrade (degrade.go)
	freezes                [][2]time.Time
}

func newClock(end time.Time) clock { return newClockWeeks(end, historyWeeks) }

// newClockWeeks is a clock whose history starts the given number of weeks
// before end (a large organisation's demo covers three years).
func newClockWeeks(end time.Time, weeks int) clock {
	before := func(weeks int) time.Time { return end.Add(-time.Duration(weeks) * week) }
	c := clock{
		start: before(weeks), end: end,
		split: before(splitWeeks), hot: before(catalogHotWeeks), cache: before(cacheWeeks), orm: before(ormWeeks),
		degrade: before(degradeWeeks),
	}
	for _, w := range freezeWeeks {
		c.freezes = append(c.freezes, [2]time.Time{before(w), before(w).Add(3 * week)})
	}
	return c
}

func (c clock) frozen(t time.Time) bool {
	for _, f := range c.freezes {
		if !t.Before(f[0]) && t.Before(f[1]) {
			return true
		}
	}
	return false
}

// botRate is a bot that opens dependency updates in a repo.
type botRate struct {
	login   string
	perWeek float64
}

// repoDef is a repository and the habits of the people working in it.
type repoDef struct {
	name, provider, team string
	tree                 string // the kind of source tree (files.go)
	source               string // deployments or merges
	link                 string
	providerID           string
	age                  time.Duration // created this long before the history starts; 0 = at the split
	firstNumber          int64         // the next PR (and, on GitHub, issue) number at the start
	firstIssue           int64         // GitLab: the next issue iid
	prodEnv, prodTier    string
	staging              bool
	deployOnMerge        bool // continuous deployment: every merge to main starts a deployment
	people               []string
	weights              []float64 // how much each of people works here
	bots                 []botRate
	areas                []string
	deps                 []string // dependency names the bots bump
	incidentTitles       []string
	ciMinutes            time.Duration // median duration of the ci workflow
	deployMinutes        time.Duration
	failedAttempt        float64 // share of production deployments whose first attempt fails
	rollbackShare        float64 // share of bad deployments rolled back
	hotfixShare          float64 // share of bad deployments (not rolled back) fixed by a hotfix
	revertShare          float64 // share of rollbacks followed by a revert PR
	dupShare             float64 // share of outages reported twice
	botReviews           bool    // github-actions[bot] comments on every PR

	// A repo of a large organisation (Options.Scale above orgScale): its
	// habits do not change over time, its people's time zones are zones,
	// and it has one CI run per change as merged (plus one on main), not
	// two per push.
	generated bool
	rate      period
	zones     []time.Duration
	lintShare float64 // generated: share of changes with a lint run too
}

func (d repoDef) url() string {
	if d.provider == store.GitLab {
		return "https://gitlab.com/" + d.name
	}
	return "https://github.com/" + d.name
}

// timeZones are the engineers' offsets from UTC: Acme is remote across
// Europe (London, Lisbon, Berlin, Kyiv). Each works 08:00–19:00 local time;
// deployments run on London time.
var timeZones = map[string]time.Duration{
	"alice-m": 0, "bob-k": 0, "chen-li": time.Hour, "dmitri-v": 2 * time.Hour, "elena-r": 0,
	"farah-n": time.Hour, "gustavo-p": 0, "maya-d": 0, "noor-a": 2 * time.Hour,
	"oscar-f": 0, "hana-s": time.Hour, "ivan-t": 2 * time.Hour, "jonas-b": time.Hour, "kemal-o": 2 * time.Hour,
	"lucia-g": 0,
}

// The people. Logins are GitHub-style.
var (
	checkoutPeople = []string{"alice-m", "bob-k", "chen-li", "dmitri-v", "elena-r", "farah-n", "gustavo-p"}
	frontendPeople = []string{"maya-d", "noor-a", "oscar-f", "alice-m", "chen-li"}
	paymentsPeople = []string{"bob-k", "elena-r", "farah-n", "dmitri-v"}
	platformPeople = []string{"hana-s", "ivan-t", "jonas-b", "kemal-o", "lucia-g"}
)

var repoDefs = []repoDef{
	{
		name: repoMonolith, tree: "monolith", provider: store.GitHub, team: teamCheckout, source: "deployments", link: "commits",
		providerID: "R_kgDOBq3x1A", age: 6 * 365 * day, firstNumber: 4180,
		prodEnv: "production", staging: true,
		people: checkoutPeople, weights: []float64{1.3, 1, 1.2, 0.9, 1, 0.8, 1.1},
		bots: []botRate{{"dependabot[bot]", 1}},
		areas: []string{"checkout", "cart", "orders", "invoices", "shipping rates", "customer accounts",
			"promotions", "tax calculation", "admin", "order history", "returns", "email receipts"},
		deps: []string{"github.com/jackc/pgx/v5", "github.com/redis/go-redis/v9", "golang.org/x/crypto",
			"github.com/stripe/stripe-go/v76", "go.opentelemetry.io/otel", "github.com/aws/aws-sdk-go-v2"},
		incidentTitles: []string{"Checkout returns 500 for some carts", "Order confirmation emails delayed",
			"Tax totals wrong for EU orders", "Admin order search times out", "Promotion codes rejected at checkout",
			"Cart page slow after release"},
		ciMinutes: 11 * time.Minute, deployMinutes: 8 * time.Minute,
		failedAttempt: 0.05, rollbackShare: 0.35, hotfixShare: 0.5, revertShare: 0.6, botReviews: true,
	},
	{
		name: repoPayments, tree: "payments", provider: store.GitHub, team: teamCheckout, source: "deployments", link: "commits",
		providerID: "R_kgDOJ8pQ0w", firstNumber: 1,
		prodEnv: "production", staging: true,
		people: paymentsPeople, weights: []float64{1.2, 1, 1, 0.8},
		bots: []botRate{{"dependabot[bot]", 0.5}},
		areas: []string{"card payments", "refunds", "payment webhooks", "payouts", "3-D Secure", "fraud checks",
			"the ledger", "payment retries"},
		deps: []string{"github.com/stripe/stripe-go/v76", "github.com/jackc/pgx/v5", "golang.org/x/crypto",
			"go.opentelemetry.io/otel"},
		incidentTitles: []string{"Refund webhooks delayed", "Card payments declined with 3-D Secure",
			"Duplicate payout for some merchants", "Payment status stuck in pending"},
		ciMinutes: 11 * time.Minute, deployMinutes: 4 * time.Minute,
		failedAttempt: 0.05, rollbackShare: 0.35, hotfixShare: 0.5, revertShare: 0.6, botReviews: true,
	},
	{
		name: repoWeb, tree: "web", provider: store.GitHub, team: teamCheckout, source: "merges",
		providerID: "R_kgDOCw7mEg", age: 4 * 365 * day, firstNumber: 2610,
		people: frontendPeople, weights: []float64{1.3, 1.2, 1, 0.3, 0.3},
		bots: []botRate{{"dependabot[bot]", 0.6}, {"renovate[bot]", 0.6}},
		areas: []string{"the product page", "the cart drawer", "the checkout form", "the header", "the search box",
			"the account page", "order tracking", "the mobile menu", "the cookie banner"},
		deps: []string{"react", "react-dom", "vite", "typescript", "@tanstack/react-query", "eslint", "postcss"},
		incidentTitles: []string{"Checkout button unresponsive on Safari", "Search box crashes on empty query",
			"Product images not loading on mobile"},
		ciMinutes: 5 * time.Minute, hotfixShare: 0.5, botReviews: true,
	},
	{
		name: repoCatalog, tree: "catalog", provider: store.GitHub, team: teamPlatform, source: "deployments", link: "commits",
		providerID: "R_kgDOE1c9kA", age: 3 * 365 * day, firstNumber: 1795,
		prodEnv: "production", deployOnMerge: true,
		people: platformPeople, weights: []float64{1.2, 1.1, 1, 0.9, 1},
		bots: []botRate{{"dependabot[bot]", 0.8}},
		areas: []string{"product import", "categories", "pricing", "inventory sync", "the search index",
			"product images", "the supplier feed", "product variants"},
		deps: []string{"github.com/jackc/pgx/v5", "github.com/redis/go-redis/v9", "github.com/elastic/go-elasticsearch/v8",
			"google.golang.org/grpc", "go.opentelemetry.io/otel"},
		incidentTitles: []string{"Catalog API timeouts on category pages", "Product reads time out under load",
			"Search results missing new products", "Prices stale after import", "Catalog p99 latency above 2 s"},
		ciMinutes: 7 * time.Minute, deployMinutes: 5 * time.Minute,
		failedAttempt: 0.04, rollbackShare: 0.25, hotfixShare: 0.15, revertShare: 0.25, dupShare: 0.4, botReviews: true,
	},
	{
		name: repoTerraform, tree: "terraform", provider: store.GitLab, team: teamPlatform, source: "deployments", link: "commits",
		providerID: "41877310", age: 2 * 365 * day, firstNumber: 310, firstIssue: 95,
		prodEnv: "live", prodTier: "production",
		people: platformPeople, weights: []float64{0.7, 1.2, 0.8, 1.1, 0.6},
		bots: []botRate{{"renovate[bot]", 1.2}},
		areas: []string{"the RDS cluster", "EKS node groups", "the Redis cluster", "VPC peering", "IAM roles",
			"CloudFront", "S3 buckets", "DNS records", "the bastion host"},
		deps: []string{"hashicorp/aws", "hashicorp/kubernetes", "terraform-aws-modules/eks/aws",
			"terraform-aws-modules/vpc/aws", "hashicorp/helm"},
		incidentTitles: []string{"Nodes drained during peak traffic", "DNS record pointed at the old load balancer",
			"Database failover took the API down"},
		ciMinutes: 4 * time.Minute, deployMinutes: 6 * time.Minute,
		failedAttempt: 0.12, rollbackShare: 0, hotfixShare: 0.5,
	},
}

// period is how a repository works at one moment.
type period struct {
	changes    float64    // human changes opened per week
	deploys    float64    // production deployment slots per week (deployments source)
	deployDays [5]float64 // how those fall on Monday … Friday
	failP      float64    // share of production deployments that cause an incident
	pickup     float64    // multiplier of the time to first review
	review     float64    // multiplier of the time from first review to merge
	size       float64    // multiplier of PR size
	ttr        time.Duration
	ttrSigma   float64
}

var everyWeekday = [5]float64{1, 1, 1, 1, 1}

// period gives a repository's habits at t. The decisions' effects are the
// only changes at their dates:
//
//   - split (checkout): before it the monolith ships twice a week on a release
//     train that waits for payments' sign-off, and its reviews wait for the
//     payments code owners; afterwards payments ships from its own repo daily
//     and so does the monolith, and reviews are quicker: checkout's lead time
//     falls by about 40 %, with the same change failure rate, PR size and
//     throughput (payments' changes are the monolith's former ones).
//   - cache (catalog): the timeouts that began 9 weeks earlier stop: far
//     fewer bad deployments and short incidents; lead time, PR size and
//     deployment frequency stay.
//   - ORM (monolith): PRs grow by about half and their reviews take about
//     60 % longer; the monolith still deploys daily.
func (c clock) period(repo string, t time.Time) period {
	p := period{deployDays: everyWeekday, failP: 0.015, pickup: 1, review: 1, size: 1, ttr: 100 * time.Minute, ttrSigma: 0.8}
	switch repo {
	case repoMonolith:
		p.changes, p.deploys = 12.5, 5
		if t.Before(c.split) {
			p.changes, p.deploys, p.deployDays = 20, 2, [5]float64{0, 1, 0, 1, 0}
			p.pickup, p.review = 2.6, 2.2
		}
		if !t.Before(c.orm) {
			p.review, p.size = 1.6, 1.5
		}
	case repoPayments:
		p.changes, p.deploys = 7.5, 6
	case repoWeb:
		p.changes = 7
		p.pickup, p.review, p.size = 0.8, 0.8, 0.8
	case repoCatalog:
		p.changes = 11
		switch {
		case t.Before(c.hot):
			p.failP, p.ttr, p.ttrSigma = 0.02, 2*time.Hour, 0.7
		case t.Before(c.cache):
			p.failP, p.ttr, p.ttrSigma = 0.18, 5*time.Hour, 0.6
		default:
			p.failP, p.ttr, p.ttrSigma = 0.05, 45*time.Minute, 0.35
		}
	case repoTerraform:
		p.changes, p.deploys, p.deployDays = 5, 1.3, [5]float64{0.2, 0.4, 0.2, 0.4, 0.1}
		p.failP = 0.04
	}
	return p
}

// decisions are the three recorded decisions.
func (c clock) decisions() []store.Decision {
	on := func(t time.Time) string { return t.Format(time.DateOnly) }
	return []store.Decision{
		{
			DecidedOn: on(c.split), Title: "Split payments out of the monolith", Kind: "architecture",
			ScopeTeam: teamCheckout,
			// What moved: the monolith's payments module before, the
			// payments service after.
			BeforeScope: "module=" + repoMonolith + ":payments", AfterScope: "repo=" + repoPayments,
			Note: "Payments moves from acme/shop-monolith into its own service, acme/payments, with its own pipeline. " +
				"The monolith's release train no longer waits for payments' sign-off, and payments code owners " +
				"no longer review every checkout change. Expected: faster lead time, more frequent deploys.",
			Link:      "https://github.com/acme/architecture/blob/main/adr/0007-split-payments.md",
			CreatedAt: c.split.Add(10*time.Hour + 12*time.Minute),
		},
		{
			DecidedOn: on(c.cache), Title: "Cache catalog reads in Redis", Kind: "caching",
			ScopeRepos: []string{repoCatalog},
			Note: "Product and category reads go through a Redis cache (5-minute TTL, invalidated on import). " +
				"Since the autumn traffic growth catalog has been timing out under load; expected: fewer incidents " +
				"and quicker recovery.",
			Link:      "https://github.com/acme/architecture/blob/main/adr/0009-catalog-read-cache.md",
			CreatedAt: c.cache.Add(9*time.Hour + 41*time.Minute),
		},
		{
			DecidedOn: on(c.orm), Title: "Replace the ORM with hand-written SQL on hot paths", Kind: "data-access",
			ScopeRepos: []string{repoMonolith},
			Note: "Order history, cart and checkout queries are rewritten in plain SQL (pgx) to cut N+1 queries. " +
				"Expected: larger PRs and slower reviews while the rewrite lasts; no change to how often we deploy.",
			Link:      "https://github.com/acme/shop-monolith/issues/4977",
			CreatedAt: c.orm.Add(14*time.Hour + 5*time.Minute),
		},
	}
}

// Settings are a demo repository's deployment settings: the config's
// repos[].deployments.source and .link. Link is empty where it does not
// apply (source merges).
type Settings struct{ Source, Link string }

// RepoSettings returns the deployment settings of each demo repository, so
// the caller can give the metrics engine the same per-repo rules a config
// would.
func RepoSettings() map[string]Settings {
	out := make(map[string]Settings, len(repoDefs))
	for _, d := range repoDefs {
		out[d.name] = Settings{Source: d.source, Link: d.link}
	}
	return out
}

// Describe says what the demo organisation is, for `tach demo` to print.
func Describe() string {
	return fmt.Sprintf(`Acme, a fictional online shop: 15 engineers across Europe in two teams, over the 52 weeks before this one.
Team checkout works on %s (GitHub deployments: staging, then production), %s (split out of
the monolith %d weeks ago) and %s (the storefront: every merge to main ships). Team platform works on
%s (continuous deployment) and %s (GitLab, squash merges, applies to "live").
There are Dependabot and Renovate updates, drafts, reverts, hotfixes, failed and re-run deployments, rollbacks,
incidents (one still open) and CI runs. Three decisions are recorded, each with an effect built into the data:
  - %d weeks ago, "Split payments out of the monolith" (team checkout): payments and the monolith deploy daily
    instead of twice a week, and checkout's lead time falls by about 40 %%; change failure rate, PR size and
    throughput stay as they were.
  - %d weeks ago, "Cache catalog reads in Redis" (acme/catalog): the timeouts of the 9 weeks before stop, so
    change failure rate and time to restore fall sharply; lead time stays as it was.
  - %d weeks ago, "Replace the ORM with hand-written SQL on hot paths" (acme/shop-monolith): PRs grow by about
    half and reviews take longer; deployment frequency stays as it was.
Nothing else changes at those dates: open a decision's before/after page to see them measured.`,
		repoMonolith, repoPayments, splitWeeks, repoWeb, repoCatalog, repoTerraform, splitWeeks, cacheWeeks, ormWeeks)
}
