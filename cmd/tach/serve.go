package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/tach-dev/tach/cmd/tach/config"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/web"
)

func init() {
	register("serve", "serve the dashboard", runServe)
}

type serveOptions struct {
	listen string
	engine *engine.Engine
	log    *slog.Logger // from the config's log section
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
	return serve(ctx, env, serveOptions{listen: addr, engine: ws.eng, log: newLogger(env.stderr, ws.cfg)})
}

func checkListen(addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return usagef("--listen %q is not host:port (for example 127.0.0.1:8080)", addr)
	}
	return nil
}

func serve(ctx context.Context, env *cli, opt serveOptions) error {
	log := opt.log
	if log == nil {
		log = newLogger(env.stderr, config.Default())
	}
	srv := web.NewServer(web.Options{Engine: opt.engine, Logger: log})
	url := "http://" + opt.listen
	if strings.HasPrefix(opt.listen, ":") {
		url = "http://localhost" + opt.listen
	}
	fmt.Fprintf(env.stdout, "Serving on %s (Ctrl-C to stop)\n", url)
	if !srv.ChartsAvailable() {
		// Every page still works, with tables; the build step fetches the
		// chart library (pinned, checked) from the npm registry.
		fmt.Fprintln(env.stderr, "tach: charts are not in this build; run `make assets` and rebuild to get them (pages show tables meanwhile)")
	}
	return web.ListenAndServe(ctx, opt.listen, srv.Handler(), log)
}
