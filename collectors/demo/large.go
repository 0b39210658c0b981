package demo

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/tach-dev/tach/store"
)

// A large organisation: at Options.Scale of orgScale changes and more, the
// demo is Acme's five repositories (their story and decisions unchanged)
// among many more of a larger company, Globex, over three years — about one
// repository per thousand changes, in teams of about twenty repositories and
// a dozen engineers. For 1,000,000 changes that is 1,000 repositories, about
// 200,000 deployments, 10,000 incidents and 2,000,000 CI runs. Each
// generated repository keeps the same habits throughout (only Acme's move,
// at its decisions), deploys through the deployments API to "production",
// linked by commits (the engine's defaults: no per-repo settings), and
// runs one CI run per change as merged and one on main.

// orgScale is the smallest Scale that generates a large organisation.
const orgScale = 10000

// orgWeeks is a large organisation's history: three years.
const orgWeeks = 156

// changesPerRepo is about how many changes a generated repository has.
const changesPerRepo = 1000

// orgName is the GitHub organisation (and GitLab group) of generated repos.
const orgName = "globex"

func (s *sim) period(t time.Time) period {
	if s.def.generated {
		return s.def.rate
	}
	return s.clk.period(s.def.name, t)
}

var (
	orgTeamWords = []string{"accounts", "ads", "analytics", "api", "auth", "billing", "catalog", "carts", "comms", "compliance",
		"data", "delivery", "devex", "discovery", "edge", "finance", "fleet", "growth", "identity", "infra",
		"insights", "inventory", "ledger", "logistics", "maps", "marketplace", "media", "messaging", "ml", "mobile",
		"notifications", "observability", "onboarding", "orders", "partners", "payments", "foundations", "pricing", "privacy", "quality",
		"risk", "routing", "search", "security", "storage", "support", "tax", "trust", "web", "workflow"}
	orgComponents = []string{"api", "service", "worker", "gateway", "scheduler", "indexer", "importer", "exporter", "frontend", "admin",
		"sdk", "cli", "db-migrations", "events", "cache", "proxy", "jobs", "reports", "sync", "webhooks",
		"dashboard", "ingest", "notifier", "auth-adapter", "search-adapter", "config", "terraform", "helm-charts", "docs", "loadtest"}
	orgGiven = []string{"aiko", "amir", "ana", "ben", "carla", "dan", "dev", "eli", "emma", "femi", "gia", "hugo", "ines", "jay",
		"jin", "kai", "kofi", "lea", "leo", "lina", "luca", "mara", "mei", "milo", "nia", "omar", "paz", "raj", "rosa", "sam",
		"sana", "tariq", "theo", "uma", "vera", "wen", "yara", "yuki", "zoe", "zeke"}
	// Regions of teams, as the engineers' offsets from UTC.
	orgRegions = [][]time.Duration{
		{0, time.Hour, 2 * time.Hour},                 // Europe
		{-5 * time.Hour, -6 * time.Hour},              // US east and central
		{-8 * time.Hour, -7 * time.Hour},              // US west
		{5*time.Hour + 30*time.Minute, 8 * time.Hour}, // India, Singapore
	}
)

// orgDefs are the generated repositories for a scale of n changes, and
// their teams. Acme's five repos (acmeChanges of the n) come first; the
// rest of n is spread over the generated ones, some busier than others.
func orgDefs(n int, seed int64) ([]repoDef, []store.Team) {
	rest := max(n-acmeChanges, changesPerRepo)
	repos := max(1, int(math.Round(float64(rest)/changesPerRepo)))
	r := newRNG(seed, orgName+"/org")
	teams := max(1, int(math.Round(float64(repos)/20)))

	// Busier and quieter repos: log-normal weights, normalised so that
	// the expected changes add up to rest.
	weights := make([]float64, repos)
	total := 0.0
	for i := range weights {
		weights[i] = math.Exp(0.6 * r.NormFloat64())
		total += weights[i]
	}
	perWeek := float64(rest) / orgWeeks

	teamOf := func(i int) int { return i * teams / repos }
	people := func(team int) []string {
		out := make([]string, 12)
		for j := range out {
			k := team*12 + j
			out[j] = fmt.Sprintf("%s-%c%d", orgGiven[k%len(orgGiven)], 'a'+rune((k/len(orgGiven))%26), team+1)
		}
		return out
	}
	teamName := func(t int) string {
		name := orgTeamWords[t%len(orgTeamWords)]
		if t >= len(orgTeamWords) {
			name += strconv.Itoa(t/len(orgTeamWords) + 1)
		}
		return name
	}

	defs := make([]repoDef, 0, repos)
	used := map[string]int{}
	out := make([]store.Team, teams)
	for t := range out {
		out[t].Name = teamName(t)
	}
	for i := range repos {
		t := teamOf(i)
		tmpl := repoDefs[i%len(repoDefs)]
		comp := orgComponents[r.IntN(len(orgComponents))]
		name := fmt.Sprintf("%s/%s-%s", orgName, out[t].Name, comp)
		if used[name]++; used[name] > 1 {
			name += strconv.Itoa(used[name])
		}
		provider := store.GitHub
		if r.chance(0.2) {
			provider = store.GitLab
		}
		pool := people(t)
		k := 3 + r.IntN(5)
		start := r.IntN(len(pool))
		d := repoDef{
			name: name, provider: provider, team: out[t].Name, source: "deployments", link: "commits",
			providerID: fmt.Sprintf("R_kgDO%08d", 10000000+i*7919%89999999), age: time.Duration(30+r.IntN(1500)) * day,
			firstNumber: int64(1 + r.IntN(3000)), firstIssue: int64(1 + r.IntN(300)),
			prodEnv: "production", staging: r.chance(0.3), deployOnMerge: r.chance(0.03),
			tree: tmpl.tree, areas: tmpl.areas, deps: tmpl.deps, incidentTitles: tmpl.incidentTitles,
			ciMinutes:     time.Duration(float64(tmpl.ciMinutes) * (0.5 + r.Float64())).Truncate(time.Second),
			deployMinutes: time.Duration(float64(max(tmpl.deployMinutes, 4*time.Minute)) * (0.5 + r.Float64())).Truncate(time.Second),
			failedAttempt: 0.02 + 0.06*r.Float64(), rollbackShare: 0.3 * r.Float64(), hotfixShare: 0.2 + 0.4*r.Float64(),
			revertShare: 0.5, botReviews: r.chance(0.6),
			generated: true, lintShare: 0.1 + 0.1*r.Float64(),
			zones: orgRegions[t%len(orgRegions)],
		}
		if provider == store.GitLab {
			d.prodTier = "production"
		}
		for j := range k {
			d.people = append(d.people, pool[(start+j)%len(pool)])
			d.weights = append(d.weights, 0.5+r.Float64())
		}
		changes := perWeek * weights[i] / total
		bots := changes * 0.08
		if r.chance(0.5) {
			d.bots = []botRate{{"dependabot[bot]", bots}}
		} else {
			d.bots = []botRate{{"renovate[bot]", bots}}
		}
		// Deploy slots per week: most repos ship about once for every six
		// or seven changes, within one to ten times a week.
		deploys := min(max(changes*(0.08+0.05*r.Float64()), 0.4), 10)
		days := everyWeekday
		if deploys < 2.5 {
			days = [5]float64{0.2 + r.Float64(), 1, 1, 1, 0.3 + 0.5*r.Float64()}
		}
		d.rate = period{
			changes: changes - bots, deploys: deploys, deployDays: days,
			failP:  0.03 + 0.06*r.Float64(),
			pickup: 0.5 + r.Float64(), review: 0.5 + r.Float64(), size: 0.6 + 0.8*r.Float64(),
			ttr: time.Duration(float64(90*time.Minute) * math.Exp(0.5*r.NormFloat64())).Truncate(time.Second), ttrSigma: 0.8,
		}
		defs = append(defs, d)
		out[t].Repos = append(out[t].Repos, name)
	}
	return defs, out
}
