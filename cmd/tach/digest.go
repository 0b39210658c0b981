package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/tach-dev/tach/cmd/tach/config"
	"github.com/tach-dev/tach/digest"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/metrics/review"
	"github.com/tach-dev/tach/store"
)

// The weekly review, delivered: `tach digest send` posts (or, with
// --dry-run, prints) the last complete week's review now, and `tach
// serve` posts it every week at digest.schedule. Both go through
// digest.Sender, which posts each (week, scope, destination) once.

func init() {
	register("digest", "post the weekly review to the chat webhooks of the config's digest: send [--dry-run] [--team T]", runDigest)
}

func runDigest(ctx context.Context, env *cli, args []string) error {
	if len(args) == 0 || args[0] != "send" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(env.stdout, "Usage: tach digest send [--config F] [--dry-run] [--team T]   (tach digest send --help for its flags)")
			return nil
		}
		return usagef("which command? `tach digest send [--dry-run] [--team T]`")
	}
	fs := newFlags(env, "digest send", "[--config F] [--dry-run] [--team T]")
	var src sourceFlags
	src.register(fs)
	dryRun := fs.Bool("dry-run", false, "print each destination's message instead of posting it")
	team := fs.String("team", "", "only the digest of this `team`")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	ws, err := src.open(ctx, true)
	if err != nil {
		return err
	}
	defer ws.Close()
	cfg := ws.cfg
	if cfg.Digest == nil {
		return cfg.CheckDigest()
	}
	if !*dryRun {
		if err := cfg.CheckDigest(); err != nil {
			return err
		}
	}
	now := time.Now()
	msgs, err := digestMessages(ctx, ws.reports, cfg, now, *team)
	if err != nil {
		return err
	}
	targets := digestTargets(cfg)
	if *dryRun {
		for _, m := range msgs {
			for _, t := range targets {
				body, err := m.Body(t.Platform)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "== %s, %s, week of %s\n%s\n", t.Platform, digestScopeName(m.Scope), m.Period, body)
			}
		}
		return nil
	}
	s := &digest.Sender{Store: ws.st, Log: slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	var failed []error
	for _, m := range msgs {
		for _, r := range s.Deliver(ctx, m, targets) {
			switch {
			case r.Err != nil:
				failed = append(failed, r.Err)
				fmt.Fprintf(env.stdout, "failed   %s, %s: %v\n", r.Target, digestScopeName(r.Scope), r.Err)
			case r.Already:
				fmt.Fprintf(env.stdout, "already  %s, %s: the week of %s was sent before\n", r.Target, digestScopeName(r.Scope), m.Period)
			default:
				fmt.Fprintf(env.stdout, "sent     %s, %s, week of %s\n", r.Target, digestScopeName(r.Scope), m.Period)
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("digest: %d of the posts failed (above)", len(failed))
	}
	return nil
}

func digestScopeName(scope string) string {
	if scope == "" {
		return "all repos"
	}
	return "team " + scope
}

func digestTargets(cfg *config.Config) []digest.Target {
	var out []digest.Target
	for _, t := range cfg.Digest.To {
		out = append(out, digest.Target{Platform: t.Platform, URL: t.URL.Reveal()})
	}
	return out
}

// digestMessages are the digests of the last complete week before now:
// one per team when the scope is team and teams exist (only team, when
// given), else one for all repos. Each review is built once, when a
// destination first asks for its body.
func digestMessages(ctx context.Context, reports *engine.Reports, cfg *config.Config, now time.Time, team string) ([]digest.Message, error) {
	week := review.LastCompleteWeek(now, cfg.Location)
	period := week.Format(time.DateOnly)
	var scopes []string
	switch {
	case team != "":
		if !slices.ContainsFunc(cfg.Teams, func(t config.Team) bool { return t.Name == team }) {
			return nil, usagef("team %q is not in the config's teams", team)
		}
		scopes = []string{team}
	case cfg.Digest.Scope == "team" && len(cfg.Teams) > 0:
		for _, t := range cfg.Teams {
			scopes = append(scopes, t.Name)
		}
	default:
		scopes = []string{""}
	}
	var out []digest.Message
	for _, sc := range scopes {
		var once sync.Once
		var rev review.Review
		var revErr error
		out = append(out, digest.Message{Period: period, Scope: sc, Body: func(platform string) ([]byte, error) {
			once.Do(func() { rev, revErr = reports.WeeklyReview(ctx, engine.Scope{Team: sc}, week, now) })
			if revErr != nil {
				return nil, fmt.Errorf("digest of %s: %w", digestScopeName(sc), revErr)
			}
			return render.Digest(platform, rev, cfg.Digest.Link)
		}})
	}
	return out, nil
}

// digestSchedule posts the digests when their time of the week has come:
// checked every minute; what was sent (by this replica or another, before
// a restart or not) is in the database, so each goes once. A server that
// was down at the scheduled time sends them when it comes back, in the
// same week.
type digestSchedule struct {
	cfg     *config.Config
	st      *store.Store
	reports *engine.Reports
	log     *slog.Logger
	now     func() time.Time
	sender  *digest.Sender
	done    string // the period whose digests are all sent
}

func newDigestSchedule(cfg *config.Config, st *store.Store, reports *engine.Reports, log *slog.Logger) *digestSchedule {
	return &digestSchedule{cfg: cfg, st: st, reports: reports, log: log, now: time.Now,
		sender: &digest.Sender{Store: st, Log: log}}
}

// due is the scheduled time of the current week at or before now, and
// whether it has come.
func (d *digestSchedule) due(now time.Time) (time.Time, bool) {
	loc, dg := d.cfg.Location, d.cfg.Digest
	local := now.In(loc)
	monday := review.LastCompleteWeek(local, loc).AddDate(0, 0, 7) // this week's Monday
	at := time.Date(monday.Year(), monday.Month(), monday.Day(), dg.Hour, dg.Minute, 0, 0, loc).AddDate(0, 0, (int(dg.Weekday)+6)%7)
	return at, !now.Before(at)
}

// tick sends what is due and not sent yet.
func (d *digestSchedule) tick(ctx context.Context) {
	at, ok := d.due(d.now())
	if !ok {
		return
	}
	msgs, err := digestMessages(ctx, d.reports, d.cfg, at, "")
	if err != nil {
		d.log.Warn("digest: not built", "err", err)
		return
	}
	if len(msgs) == 0 || msgs[0].Period == d.done {
		return
	}
	targets := digestTargets(d.cfg)
	pending := false
	for _, m := range msgs {
		for _, t := range targets {
			rec, ok, err := d.st.DigestSent(ctx, store.DigestKey{Period: m.Period, Scope: m.Scope, Target: t.ID()})
			if err != nil || !ok || rec.SentAt.IsZero() {
				pending = true
			}
		}
	}
	if !pending {
		d.done = msgs[0].Period
		return
	}
	for _, m := range msgs {
		d.sender.Deliver(ctx, m, targets)
	}
}

// run ticks every minute until ctx ends.
func (d *digestSchedule) run(ctx context.Context) {
	if err := d.cfg.CheckDigest(); err != nil {
		d.log.Warn("the weekly digest is off until the config is fixed and tach serve restarted", "why", err.Error())
		return
	}
	d.log.Info("digest: scheduled", "at", d.cfg.Digest.Schedule(), "timezone", d.cfg.Timezone, "destinations", len(d.cfg.Digest.To))
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		d.tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
