package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/query"
	"github.com/tach-dev/tach/metrics/render"
)

func init() {
	reportKinds["radar"] = runReportRadar
}

// runReportRadar prints the refactor radar: every module (and repo
// without modules) of the scope ranked by its worsening trends, with its
// hotspots, and the modules that change together. The data is the web
// dashboard's (/radar, /api/v1/radar).
func runReportRadar(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "report radar", "[--config F | --db F] [--repo R]... [--team T] [--module REPO:NAME]... [--weeks 12 | --from YYYY-MM-DD --to YYYY-MM-DD] [--format text|json|markdown]")
	var src sourceFlags
	src.register(fs)
	scopeFlags(fs, "look at")
	windowFlags(fs)
	format := fs.String("format", "text", "output `format`: text, json or markdown")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if _, err := query.Flags.Choice("format", *format, "text", "json", "markdown"); err != nil {
		return err
	}
	ws, err := src.open(ctx, true)
	if err != nil {
		return err
	}
	defer ws.Close()
	now := time.Now()
	p, v := query.New(query.Flags, now, ws.reports.Rules().Location), given(fs)
	sc, err := p.Scope(v)
	if err != nil {
		return err
	}
	w, err := p.Window(v)
	if err != nil {
		return err
	}
	rep, err := ws.reports.Radar(ctx, engine.Scope(sc), w.Window)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "markdown":
		return render.RadarMarkdown(env.stdout, rep)
	default:
		return render.RadarText(env.stdout, rep)
	}
}
