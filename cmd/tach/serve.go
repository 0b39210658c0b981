package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tach-dev/tach/cmd/tach/config"
	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/web"
)

func init() {
	register("serve", "serve the dashboard; with a config, also sync on a schedule and receive webhooks", runServe)
}

// The services the server is given: each satisfies what the pages ask of
// it.
var (
	_ web.Reports     = (*engine.Reports)(nil)
	_ web.DORASource  = (*engine.Reports)(nil)
	_ web.DecisionLog = (*engine.DecisionLog)(nil)
)

// serveOptions are what serve needs.
type serveOptions struct {
	listen    string
	st        *store.Store
	reports   *engine.Reports
	decisions *engine.DecisionLog
	log       *slog.Logger // from the config's log section
	// cfg is the configuration when serve was given one (--config, or
	// ./tach.yaml): then it syncs on a schedule and receives webhooks.
	// Nil for `tach demo` and `tach serve --db F`: the pages only.
	cfg *config.Config
	// how names the source flags, for the messages (--config tach.yaml).
	how string
}

func runServe(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "serve", "[--config F | --db F] [--listen ADDR]")
	var src sourceFlags
	src.register(fs)
	listen := fs.String("listen", "", "`address` to serve on (default: the config's listen, 127.0.0.1:8080)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ws, err := src.open(ctx, false)
	if err != nil {
		return err
	}
	defer ws.Close()
	addr := ws.cfg.Listen
	if *listen != "" {
		addr = *listen
	}
	if err := checkListen(addr); err != nil {
		return err
	}
	opt := serveOptions{listen: addr, st: ws.st, reports: ws.reports, decisions: ws.decisions, log: newLogger(env.stderr, ws.cfg)}
	switch {
	case src.config != "":
		opt.cfg, opt.how = ws.cfg, "--config "+src.config
	case src.db == "":
		opt.cfg, opt.how = ws.cfg, "--config "+defaultConfigFile
	default:
		opt.how = "--db " + src.db
	}
	return serve(ctx, env, opt)
}

func checkListen(addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return usagef("--listen %q is not host:port (for example 127.0.0.1:8080)", addr)
	}
	return nil
}

// loopbackListen reports whether addr listens on a loopback address only
// (127.0.0.1, ::1, localhost). ":8080" listens on every interface.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// errDemoLoopback refuses to serve the demo beyond this machine.
var errDemoLoopback = usagef("tach demo serves on a loopback address only, as it has no sign-in: use --listen 127.0.0.1:8080; " +
	"to share a dashboard, run tach serve with users (`tach users add`)")

// refuseWithoutAuth is the one-line refusal to serve a non-loopback
// address with no sign-in configured.
func refuseWithoutAuth(addr, how string) error {
	return fmt.Errorf("refusing to serve on %s without sign-in: add a user with `tach users add LOGIN --role write %s`, "+
		"or set auth.trusted_proxy in the config for a signing-in proxy, or listen on 127.0.0.1", addr, how)
}

// serve runs the dashboard until ctx ends (SIGINT, SIGTERM), then shuts
// down gracefully: it stops accepting connections and lets the requests
// in flight finish, applies the webhooks already accepted, and lets the
// sync in flight commit its batch (commits are transactional: the next
// sync goes on from the last one).
func serve(ctx context.Context, env *cli, opt serveOptions) error {
	tuneGCForServing()
	log := opt.log
	if log == nil {
		log = newLogger(env.stderr, config.Default())
	}
	cfg := opt.cfg
	if cfg == nil {
		cfg = config.Default()
	}
	st := opt.st
	warnExposed(log, st)
	// Every page asks whether the generation moved: on PostgreSQL, from a
	// connection that listens for it rather than a query a page.
	st.WatchGeneration(ctx, log)

	// Who may come in.
	users, err := st.CountUsers(ctx)
	if err != nil {
		return err
	}
	var proxy *web.TrustedProxy
	if tp := cfg.Auth.TrustedProxy; tp != nil {
		proxy = &web.TrustedProxy{Header: tp.Header, RoleHeader: tp.RoleHeader, DefaultRole: tp.DefaultRole, Proxies: tp.Proxies}
	}
	if !loopbackListen(opt.listen) && users == 0 && proxy == nil {
		return refuseWithoutAuth(opt.listen, opt.how)
	}
	auth := web.AuthOptions{Proxy: proxy, SessionTTL: cfg.Auth.SessionTTL, CookieSecure: cfg.Auth.CookieSecure, MetricsToken: cfg.Auth.MetricsToken.Reveal(),
		PublicMetrics: cfg.Auth.PublicMetrics}
	if users > 0 {
		auth.Users = st
	}

	telemetry := web.NewTelemetry()
	dora := web.NewDORARefresher(telemetry, opt.reports, st, doraGap, log)

	// The scheduled sync and the webhooks, with a config that has repos.
	var sched *collectors.Scheduler
	var hooks *web.Webhooks
	noSync := ""
	if opt.cfg != nil && len(cfg.Repos) == 0 {
		noSync = "the config has no repos."
	} else if opt.cfg != nil {
		sy, err := newSyncer(cfg, st, log)
		if err != nil {
			return err
		}
		if err := cfg.CheckSync(); err != nil {
			noSync = "a token is missing (the server's log says which)."
			log.Warn("scheduled sync is off until the config is fixed and tach serve restarted", "why", strings.ReplaceAll(err.Error(), "\n", "; "))
		} else {
			sched = newServeScheduler(ctx, cfg, st, sy, telemetry, dora, log)
		}
		if err := cfg.CheckWebhooks(); err != nil {
			log.Warn("webhooks of a provider are off: its secret is not set", "why", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
		hooks = web.NewWebhooks(web.WebhookOptions{
			GitHubSecret: cfg.Webhooks.GitHubSecret.Reveal(),
			GitLabToken:  cfg.Webhooks.GitLabToken.Reveal(),
			Deliveries:   st,
			Apply:        sy.ApplyWebhook,
			KnownRepo:    sy.Configured,
			OnApplied:    func(collectors.Applied) { dora.Poke() },
			Telemetry:    telemetry,
			Logger:       log,
		})
	}

	// Heavy work (comparisons, suggestions, long windows) shares half the
	// CPUs; the rest stay for everyone's pages (engine.Gate).
	gate := engine.NewGate(0, 0)
	opt.reports.UseGate(gate)

	opts := web.Options{Reports: opt.reports, Decisions: opt.decisions, Store: st, Logger: log, Gate: gate, Ops: &web.OpsOptions{
		Auth: auth, Webhooks: hooks, Telemetry: telemetry, LogRequests: true, NoSync: noSync,
		Listen: opt.listen, AllowedHosts: cfg.AllowedHosts,
		Ready: func(ctx context.Context) error { _, err := st.SchemaVersion(ctx); return err },
	}}
	lock := st.SyncLock()
	if sched != nil && lock.Shared() {
		opts.Ops.SyncLock = lock
	}
	if lock.Shared() { // PostgreSQL
		opts.Ops.GenerationFollowed = st.GenerationFollowed
	}
	if sched != nil {
		opts.Sync = sched
	}
	srv := web.NewServer(opts)
	httpSrv := web.NewHTTPServer(srv.Handler(), log)

	ln, err := net.Listen("tcp", opt.listen)
	if err != nil {
		return fmt.Errorf("serve on %s: %w", opt.listen, err)
	}
	addr := ln.Addr().String()
	url := "http://" + addr
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "::" || host == "0.0.0.0") {
		url = "http://localhost:" + port
	}
	fmt.Fprintf(env.stdout, "Serving on %s (Ctrl-C to stop)\n", url)
	if !srv.ChartsAvailable() {
		// Every page still works, with tables; the build step fetches the
		// chart library (pinned, checked) from the npm registry.
		fmt.Fprintln(env.stderr, "tach: charts are not in this build; run `make assets` and rebuild to get them (pages show tables meanwhile)")
	}
	signIn := "off (loopback only: everyone who reaches it may write)"
	switch {
	case auth.Users != nil && proxy != nil:
		signIn = plural(users, "local user") + " and a trusted proxy"
	case auth.Users != nil:
		signIn = plural(users, "local user")
	case proxy != nil:
		signIn = "a trusted proxy (" + proxy.Header + ")"
	}
	log.Info("tach serve started", "addr", addr, "sign_in", signIn, "scheduled_sync", sched != nil, "webhooks", hooks != nil)

	// Background work: the schedule, the webhook worker, the gauges, the
	// pruning of old sessions and deliveries.
	var bg sync.WaitGroup
	schedCtx, stopSched := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSched()
	bgCtx, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	if sched != nil {
		if lock.Shared() {
			bg.Go(func() { lock.Keep(schedCtx, min(syncLockCheck, cfg.Sync.Interval), logSyncLock(log)) })
			bg.Go(func() { runPassedOnSyncs(schedCtx, st, sched, log) })
		}
		bg.Go(func() { sched.Run(schedCtx) })
	}
	if hooks != nil {
		bg.Go(func() { hooks.Run(bgCtx) })
	}
	bg.Go(func() { dora.Run(bgCtx) })
	bg.Go(func() { srv.Prune(bgCtx, st) })
	if opt.cfg != nil && cfg.Digest != nil { // the weekly review, delivered (digest.go)
		bg.Go(func() { newDigestSchedule(cfg, st, opt.reports, log).run(bgCtx) })
	}
	dora.Poke()

	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	var serveErr error
	select {
	case serveErr = <-errc:
		serveErr = fmt.Errorf("serve on %s: %w", addr, serveErr)
	case <-ctx.Done():
		// A second Ctrl-C during the shutdown ends the process at once.
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		fmt.Fprintln(env.stderr, "tach: shutting down: finishing the requests, webhooks and sync batch in flight (Ctrl-C again to quit now)")
	}

	// Shut down: the sync is told to stop (it commits the batch in hand),
	// the server stops accepting and finishes its requests, the webhooks
	// accepted are applied, then the sync is waited for.
	stopSched()
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("shutdown: requests still running were cut off", "err", err)
	}
	if hooks != nil {
		if err := hooks.Shutdown(shutdown); err != nil {
			log.Warn("shutdown: webhooks still queued were not applied; the next sync reconciles them", "err", err)
		}
	}
	stopBG()
	done := make(chan struct{})
	go func() { bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		log.Warn("shutdown: the sync in flight did not stop within a minute; exiting (the next sync goes on from its last commit)")
	}
	log.Info("tach serve stopped")
	return serveErr
}

// newServeScheduler is the scheduled sync: every sync.interval (with
// jitter), the first once the last sync is an interval old. After each run
// the derived values are brought up to date with the config's rules for
// the repos synced so far (deriveByConfig), and the DORA gauges
// recomputed. The pages need nothing rebuilt: the reports resolve the
// config's teams again whenever the repos in the database change, so a
// repo synced for the first time joins its teams without a restart.
func newServeScheduler(ctx context.Context, cfg *config.Config, st *store.Store, sy *collectors.Syncer,
	telemetry *web.Telemetry, dora *web.DORARefresher, log *slog.Logger) *collectors.Scheduler {
	run := func(ctx context.Context, tracker *collectors.Tracker) (*collectors.Summary, error) {
		telemetry.SyncStarted()
		sum, err := sy.Run(ctx, nil, tracker)
		if _, derr := deriveByConfig(context.WithoutCancel(ctx), cfg, st); derr != nil {
			log.Error("derive after the sync", "err", derr)
		}
		dora.Poke()
		return sum, err
	}
	opt := collectors.ScheduleOptions{
		Interval: cfg.Sync.Interval, FirstDelay: sy.FirstDelay(ctx, cfg.Sync.Interval), Logger: log,
		OnFinish: telemetry.ObserveSync,
	}
	if lock := st.SyncLock(); lock.Shared() {
		// Replicas on one PostgreSQL database: the one holding the lock
		// syncs, and runs the "sync now" the others pass on.
		opt.Claim = lock.TryAcquire
		opt.PassOn = func(ctx context.Context) error { return st.RequestSync(ctx, time.Now()) }
	}
	return collectors.NewScheduler(run, opt)
}

// syncLockCheck is how often, at most, a replica checks the sync lock it
// holds, or tries to take it from one that died (at least once per sync
// interval).
var syncLockCheck = 30 * time.Second

// syncRequestPoll is how often the replica holding the sync lock looks
// for a "sync now" another replica passed on (one row read).
var syncRequestPoll = 3 * time.Second

// runPassedOnSyncs starts, on the replica holding the sync lock, the
// syncs other replicas were asked for, until ctx ends.
func runPassedOnSyncs(ctx context.Context, st *store.Store, sched *collectors.Scheduler, log *slog.Logger) {
	lock := st.SyncLock()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(syncRequestPoll):
		}
		if !lock.Held() {
			continue
		}
		took, err := st.TakeSyncRequest(ctx)
		if err != nil {
			log.Warn("sync requests of other replicas: could not read them", "err", err)
			continue
		}
		if !took {
			continue
		}
		switch err := sched.Trigger(ctx); {
		case err == nil:
			log.Info("sync now, passed on by another replica: started")
		case errors.Is(err, collectors.ErrSyncRunning):
			log.Info("sync now, passed on by another replica: the run in flight serves it")
		default:
			log.Warn("a sync another replica passed on did not start", "err", err)
		}
	}
}

// logSyncLock logs this replica gaining or losing the sync lock.
func logSyncLock(log *slog.Logger) func(held bool, err error) {
	return func(held bool, err error) {
		switch {
		case err != nil:
			log.Warn("sync lock: could not try it", "err", err)
		case held:
			log.Info("sync lock taken: this replica runs the scheduled sync")
		default:
			log.Warn("sync lock lost: another replica runs the scheduled sync")
		}
	}
}

// doraGap is the least time between two refreshes of the DORA gauges (0:
// web.DefaultDORAGap; tests lower it).
var doraGap time.Duration

// plural writes "1 local user", "3 local users".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
