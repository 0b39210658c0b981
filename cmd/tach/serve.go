package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/web"
)

func init() {
	register("serve", "serve the dashboard", runServe)
}

type serveOptions struct {
	listen string
	engine *engine.Engine
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
	return serve(ctx, env, serveOptions{listen: addr, engine: ws.eng})
}

func checkListen(addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return usagef("--listen %q is not host:port (for example 127.0.0.1:8080)", addr)
	}
	return nil
}

func serve(ctx context.Context, env *cli, opt serveOptions) error {
	log := slog.New(slog.NewTextHandler(env.stderr, nil))
	h := web.New(web.Options{Engine: opt.engine, Logger: log})
	url := "http://" + opt.listen
	if strings.HasPrefix(opt.listen, ":") {
		url = "http://localhost" + opt.listen
	}
	fmt.Fprintf(env.stdout, "Serving on %s (Ctrl-C to stop)\n", url)
	return web.ListenAndServe(ctx, opt.listen, h, log)
}
