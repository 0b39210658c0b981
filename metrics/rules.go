package metrics

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// The rules as they apply. A zero duration, location, source, link or
// environment pattern means its documented default, since zero makes no
// sense there (an incident window of 0 attributes nothing). A nil Bots or
// ReworkTitle and an empty ReworkLabels mean "none": DefaultRules() gives
// the documented patterns.

// Timezone is where days and weeks are counted: Location, or UTC when nil.
func (r Rules) Timezone() *time.Location { return orUTC(r.Location) }

func (r Rules) incidentWindow() time.Duration {
	if r.IncidentWindow <= 0 {
		return DefaultIncidentWindow
	}
	return r.IncidentWindow
}

// StaleAfter is how long an open change may wait for a first review before
// it counts as stale: StaleReview, or its default.
func (r Rules) StaleAfter() time.Duration {
	if r.StaleReview <= 0 {
		return DefaultStaleReview
	}
	return r.StaleReview
}

var defaultProductionEnvironments = regexp.MustCompile(DefaultProductionEnvironments)

func (rr RepoRules) environments() *regexp.Regexp {
	if rr.Environments == nil {
		return defaultProductionEnvironments
	}
	return rr.Environments
}

func (rr RepoRules) source() string {
	if rr.Source == "" {
		return SourceDeployments
	}
	return rr.Source
}

func (rr RepoRules) link() string {
	if rr.Link == "" {
		return LinkCommits
	}
	return rr.Link
}

// IsBot reports whether a login is a bot: the provider flagged it (a GitHub
// Bot account), or it matches Rules.Bots. A nil Bots adds no pattern.
func (r Rules) IsBot(login string, flaggedByProvider bool) bool {
	return flaggedByProvider || (r.Bots != nil && r.Bots.MatchString(login))
}

// IsBotChange reports whether a change was opened by a bot.
func (r Rules) IsBotChange(c Change) bool { return r.IsBot(c.Author, c.AuthorIsBot) }

// CountsChange reports whether a change counts in lead time, cycle time,
// throughput, PR size and open work: bot changes do only when
// IncludeBotChanges says so.
func (r Rules) CountsChange(c Change) bool { return r.IncludeBotChanges || !r.IsBotChange(c) }

// IsFix reports whether a change is a fix for the rework rate: it carries a
// rework label (case-insensitive) or its title matches ReworkTitle.
func (r Rules) IsFix(c Change) bool {
	for _, label := range c.Labels {
		if slices.ContainsFunc(r.ReworkLabels, func(l string) bool { return strings.EqualFold(l, label) }) {
			return true
		}
	}
	return r.ReworkTitle != nil && r.ReworkTitle.MatchString(c.Title)
}

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
