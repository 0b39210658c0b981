package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The weekly review, delivered (digest):
//
//	digest:
//	  schedule: Mon 09:00            # weekday and time, in the configured timezone
//	  link: https://tach.example.com # where the digest's link points (optional)
//	  scope: team                    # team (one digest per team) or repos (one for all)
//	  to:
//	    - slack: ${SLACK_WEBHOOK_URL}
//	    - teams: ${TEAMS_WEBHOOK_URL}
//	    - mattermost: ${MATTERMOST_WEBHOOK_URL}
//	    - discord: ${DISCORD_WEBHOOK_URL}
//	    - webhook: ${DIGEST_WEBHOOK_URL}
//
// The webhook URLs are secrets (they are the credential): Secret values,
// never printed.

var (
	digestKeys      = []string{"schedule", "link", "scope", "to"}
	digestPlatforms = []string{"slack", "teams", "mattermost", "discord", "webhook"}
	digestScopes    = []string{"team", "repos"}
	weekdays        = map[string]time.Weekday{"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday}
)

// Digest is the weekly review's delivery (digest); nil when not configured.
type Digest struct {
	// Weekday, Hour and Minute are when it is sent, in Config.Location.
	Weekday      time.Weekday `json:"weekday"`
	Hour, Minute int          `json:"-"`
	// Link is the dashboard's address, for the digest's link to the page.
	Link string `json:"link,omitempty"`
	// Scope is "team" (one digest per team; all repos when there are no
	// teams) or "repos" (one for all repos).
	Scope string `json:"scope"`
	// To are the destinations, in file order.
	To   []DigestTarget `json:"to"`
	Line int            `json:"-"`
}

// DigestTarget is one incoming webhook.
type DigestTarget struct {
	Platform string `json:"platform"` // slack, teams, mattermost, discord or webhook
	URL      Secret `json:"url"`
	Line     int    `json:"-"`
}

// Schedule is the time of week, as written: "Mon 09:00".
func (d *Digest) Schedule() string {
	return fmt.Sprintf("%s %02d:%02d", d.Weekday.String()[:3], d.Hour, d.Minute)
}

func (p *parser) digest(e entry, c *Config) {
	g, ok := p.mapping(e.val, "digest", digestKeys, "schedule, link, scope and to")
	if !ok {
		return
	}
	d := &Digest{Weekday: time.Monday, Hour: 9, Scope: "team", Line: e.key.Line}
	good := true
	if v, ok := g["schedule"]; ok {
		s, ok := p.str(v.val, "digest.schedule", `a weekday and time such as "Mon 09:00"`)
		if ok {
			day, hm, _ := strings.Cut(strings.TrimSpace(s.val), " ")
			wd, okDay := weekdays[strings.ToLower(day)[:min(3, len(day))]]
			at, err := time.Parse("15:04", strings.TrimSpace(hm))
			if !okDay || err != nil {
				p.errorf(v.val, "digest.schedule", `%s is not a weekday and time; write it as "Mon 09:00" (Mon to Sun, 24-hour time, in the configured timezone)`, quote(s.val))
				good = false
			} else {
				d.Weekday, d.Hour, d.Minute = wd, at.Hour(), at.Minute()
			}
		} else {
			good = false
		}
	}
	if v, ok := g["link"]; ok {
		if s, ok := p.str(v.val, "digest.link", "the dashboard's address such as https://tach.example.com"); ok {
			u, err := url.Parse(s.val)
			if err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https" {
				p.errorf(v.val, "digest.link", "%s is not an http(s) address; write the dashboard's address, such as https://tach.example.com", quote(s.val))
				good = false
			} else {
				d.Link = strings.TrimSuffix(s.val, "/")
			}
		}
	}
	if v, ok := g["scope"]; ok {
		if s, ok := p.choice(v.val, "digest.scope", digestScopes); ok {
			d.Scope = s
		}
	}
	v, ok := g["to"]
	if !ok {
		p.errorf(e.key, "digest.to", "required; list where to post it, such as - slack: ${SLACK_WEBHOOK_URL}")
		return
	}
	if v.val.Kind != yaml.SequenceNode || len(v.val.Content) == 0 {
		p.errorf(v.val, "digest.to", "expected a list of destinations such as - slack: ${SLACK_WEBHOOK_URL}, got %s", describe(v.val))
		return
	}
	for i, item := range v.val.Content {
		key := fmt.Sprintf("digest.to[%d]", i)
		item = deref(item)
		f, ok := p.mapping(item, key, digestPlatforms, "one platform and its incoming-webhook URL, such as slack: ${SLACK_WEBHOOK_URL}")
		if !ok {
			good = false
			continue
		}
		if len(f) != 1 {
			p.errorf(item, key, "names %d platforms; give each destination its own item, with one of %s", len(f), oneOf(digestPlatforms...))
			good = false
			continue
		}
		for platform, e := range f {
			t := DigestTarget{Platform: platform, Line: e.key.Line}
			p.secret(e.val, key+"."+platform, &t.URL)
			if u := t.URL.Reveal(); u != "" {
				p.secrets = append(p.secrets, u)
				if pu, err := url.Parse(u); err != nil || pu.Host == "" || pu.Scheme != "http" && pu.Scheme != "https" {
					// The URL is a secret: the message does not quote it.
					p.errorf(e.val, key+"."+platform, "is not an http(s) URL; paste the incoming webhook's URL as %s gives it", platform)
					good = false
					continue
				}
			}
			d.To = append(d.To, t)
		}
	}
	if good {
		c.Digest = d
	}
}

// CheckDigest reports, before anything is posted, a destination whose URL
// is empty or comes from an unset environment variable.
func (c *Config) CheckDigest() error {
	if c.Digest == nil {
		return &Error{File: c.File, Key: "digest", Msg: "is not configured; add digest: {schedule: \"Mon 09:00\", to: [{slack: ${SLACK_WEBHOOK_URL}}]} (see config.example.yaml)"}
	}
	for i, t := range c.Digest.To {
		if t.URL.Empty() {
			msg := "is empty; put the incoming webhook's URL here, or ${NAME} to read it from the environment"
			if t.URL.src != nil && len(t.URL.src.missing) > 0 {
				msg = fmt.Sprintf("environment variable %s is not set; export it with the incoming webhook's URL", strings.Join(t.URL.src.missing, ", "))
			}
			return &Error{File: c.File, Line: t.Line, Key: fmt.Sprintf("digest.to[%d].%s", i, t.Platform), Msg: msg}
		}
	}
	return nil
}
