package demo

import (
	"fmt"
	"strings"
)

// Labels of human changes and their shares.
var (
	labelChoices = [][]string{{"feature"}, {"bug"}, {"refactor"}, {"perf"}, nil, {"feature", "needs-qa"}}
	labelWeights = []float64{0.36, 0.18, 0.12, 0.05, 0.25, 0.04}
)

var (
	featureThings = []string{"pagination", "audit logging", "CSV export", "retries with backoff", "a feature flag",
		"Prometheus metrics", "rate limiting", "bulk editing", "a dark-mode toggle", "request tracing",
		"an idempotency key", "a health check", "sorting options"}
	bugThings = []string{"a race condition", "an off-by-one", "a nil pointer dereference", "timezone handling",
		"a rounding error", "a stale cache entry", "a double submit", "a missing index", "an unclosed connection",
		"wrong currency formatting", "a flaky retry"}
	sqlThings = []string{"order history", "the cart totals", "checkout summary", "the customer lookup", "invoice listing",
		"stock reservation"}
	hotfixThings = []string{"restore the previous timeout", "skip the broken migration", "guard against empty carts",
		"disable the new query plan", "bump the connection pool", "fall back to the old endpoint"}
)

// title makes a change title that fits its labels. sqlEra is the monolith
// after the ORM decision, whose refactors are the SQL rewrite.
func title(r rng, labels []string, areas []string, sqlEra bool) string {
	area := pick(r, areas)
	label := ""
	if len(labels) > 0 {
		label = labels[0]
	}
	switch label {
	case "feature":
		return fmt.Sprintf(pick(r, []string{"Add %s to %s", "Support %s in %s", "Introduce %s for %s"}), pick(r, featureThings), area)
	case "bug":
		if r.chance(0.3) {
			return fmt.Sprintf("Handle %s in %s", pick(r, bugThings), area)
		}
		return fmt.Sprintf(pick(r, []string{"Fix %s in %s", "fix: %s in %s"}), pick(r, bugThings), area)
	case "refactor":
		if sqlEra && r.chance(0.6) {
			return fmt.Sprintf("Rewrite %s queries in plain SQL", pick(r, sqlThings))
		}
		return fmt.Sprintf(pick(r, []string{"Refactor %s", "Split %s into smaller packages", "Simplify %s error handling"}), area)
	case "perf":
		if sqlEra && r.chance(0.5) {
			return fmt.Sprintf("Replace the ORM preload in %s with one query", pick(r, sqlThings))
		}
		return fmt.Sprintf(pick(r, []string{"Speed up %s", "perf: cut allocations in %s", "Batch database calls in %s"}), area)
	}
	return fmt.Sprintf(pick(r, []string{"Update %s docs", "chore: tidy up %s", "Add tests for %s", "Log more context in %s",
		"Raise the timeout of %s"}), area)
}

// botTitle is a dependency update's title, in the bot's own style.
func botTitle(r rng, bot string, deps []string) string {
	dep := pick(r, deps)
	major, minor := 1+r.IntN(5), r.IntN(30)
	from := fmt.Sprintf("%d.%d.%d", major, minor, r.IntN(9))
	to := fmt.Sprintf("%d.%d.%d", major, minor+r.IntN(2), 1+r.IntN(9))
	if strings.HasPrefix(bot, "renovate") {
		if r.chance(0.5) {
			return fmt.Sprintf("fix(deps): update module %s to v%s", dep, to)
		}
		return fmt.Sprintf("chore(deps): update %s to v%s", dep, to)
	}
	return fmt.Sprintf("chore(deps): bump %s from %s to %s", dep, from, to)
}

func hotfixTitle(r rng, area string) string {
	return fmt.Sprintf("hotfix: %s in %s", pick(r, hotfixThings), area)
}
