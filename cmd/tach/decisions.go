package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/query"
	"github.com/tach-dev/tach/store"
)

func init() {
	register("decisions", "keep the decision log: add, list, edit, rm; candidates, accept, dismiss", runDecisions)
}

// decisionCommands are the subcommands of `tach decisions`.
var decisionCommands = []struct {
	name, usage string
	run         func(ctx context.Context, env *cli, args []string) error
}{
	{"add", "record a decision", runDecisionsAdd},
	{"list", "list the decisions", runDecisionsList},
	{"edit", "change a decision", runDecisionsEdit},
	{"rm", "remove a decision", runDecisionsRemove},
	{"candidates", "decisions the data suggests that are not recorded yet", runDecisionsCandidates},
	{"accept", "record a suggested decision", runDecisionsAccept},
	{"dismiss", "stop suggesting a decision", runDecisionsDismiss},
}

func decisionsUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: tach decisions <command> [flags]   (tach decisions <command> --help for its flags)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range decisionCommands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.usage)
	}
	fmt.Fprintf(w, "\nKinds: %s. Compare before and after one: tach report compare --decision ID\n", strings.Join(store.DecisionKinds, ", "))
}

func runDecisions(ctx context.Context, env *cli, args []string) error {
	if len(args) == 0 {
		decisionsUsage(env.stderr)
		return usagef("which command? `tach decisions add|list|edit|rm|candidates|accept|dismiss`")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		decisionsUsage(env.stdout)
		return nil
	}
	for _, c := range decisionCommands {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	return usagef("unknown command %q; try `tach decisions --help`", args[0])
}

// decisionFlags are the fields of a decision as flags (add, edit, accept).
type decisionFlags struct {
	date, title, kind, team, note, link string
	repos, modules                      repeated
	before, after                       string
	everything                          bool
}

func (f *decisionFlags) register(fs *flag.FlagSet, editing bool) {
	fs.StringVar(&f.date, "date", "", "the day it took effect, `YYYY-MM-DD` in the configured timezone")
	fs.StringVar(&f.title, "title", "", "what was decided, in one line")
	fs.StringVar(&f.kind, "kind", "", "`kind`: "+strings.Join(store.DecisionKinds, ", "))
	fs.StringVar(&f.team, "team", "", "scope: a team of the config")
	fs.Var(&f.repos, "repo", "scope: a repo (owner/name or group/project); repeat for several")
	fs.Var(&f.modules, "module", "scope: a module, `REPO:NAME`; repeat for several (with --repo or alone)")
	fs.StringVar(&f.before, "scope-before", "", "compare this scope before the day, such as module=acme/shop:payments (\"\" clears it)")
	fs.StringVar(&f.after, "scope-after", "", "compare this scope after the day, such as repo=acme/payments (\"\" clears it)")
	fs.StringVar(&f.note, "note", "", "a note: why, what was expected")
	fs.StringVar(&f.link, "link", "", "a link: an ADR, an RFC, a PR (http or https)")
	if editing {
		fs.BoolVar(&f.everything, "everything", false, "scope: everything (clears --team and --repo)")
	}
}

// apply sets the fields whose flags were given on in.
func (f *decisionFlags) apply(fs *flag.FlagSet, in *engine.DecisionInput) error {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	scopes := 0
	for _, name := range []string{"team", "repo", "everything"} {
		if set[name] || (name == "repo" && set["module"] && !set["repo"]) {
			scopes++
		}
	}
	if scopes > 1 {
		// Only the flags this command has: add has no --everything (no
		// scope is everything).
		if fs.Lookup("everything") == nil {
			return usagef("give --team or --repo as the scope, not both (neither: everything); --module goes with --repo")
		}
		return usagef("give one of --team, --repo or --everything as the scope (--module goes with --repo)")
	}
	if set["scope-before"] {
		in.BeforeScope = f.before
	}
	if set["scope-after"] {
		in.AfterScope = f.after
	}
	if set["date"] {
		in.Date = f.date
	}
	if set["title"] {
		in.Title = f.title
	}
	if set["kind"] {
		in.Kind = f.kind
	}
	if set["note"] {
		in.Note = f.note
	}
	if set["link"] {
		in.Link = f.link
	}
	switch {
	case set["team"]:
		in.Team, in.Repos, in.Modules = f.team, nil, nil
	case set["repo"] || set["module"]:
		in.Team, in.Repos, in.Modules = "", f.repos, f.modules
	case set["everything"]:
		in.Team, in.Repos, in.Modules = "", nil, nil
	}
	return nil
}

// splitArgs takes one positional argument (an id) given before or after the
// flags, and parses the flags.
func splitArgs(fs *flag.FlagSet, args []string, what string) (string, error) {
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		usage()
		return "", err
	}
	if err != nil {
		return "", usageError{err.Error() + "; see `" + fs.Name() + " --help`"}
	}
	rest := fs.Args()
	if id == "" && len(rest) > 0 {
		id, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return "", usagef("unexpected argument %q; see `%s --help`", rest[0], fs.Name())
	}
	if id == "" {
		return "", usagef("which %s? see `%s --help`", what, fs.Name())
	}
	return id, nil
}

func runDecisionsAdd(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "decisions add", "--date YYYY-MM-DD --title T --kind K [--team T | --repo R... --module REPO:NAME...] [--scope-before S --scope-after S] [--note N] [--link URL] [--config F | --db F]")
	var src sourceFlags
	var df decisionFlags
	src.register(fs)
	df.register(fs, false)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var in engine.DecisionInput
	if err := df.apply(fs, &in); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(in.Date) == "":
		return usagef("give the decision's day: --date YYYY-MM-DD")
	case strings.TrimSpace(in.Title) == "":
		return usagef("give what was decided: --title T")
	case strings.TrimSpace(in.Kind) == "":
		return usagef("give the decision's kind: --kind %s", strings.Join(store.DecisionKinds, "|"))
	}
	ws, err := src.open(ctx, true)
	if err != nil {
		return err
	}
	defer ws.Close()
	d, err := ws.decisions.AddDecision(ctx, in)
	if err != nil {
		return fmt.Errorf("decisions add: %w", err)
	}
	fmt.Fprintf(env.stdout, "Recorded decision #%d: %s (%s, %s, %s).\n", d.ID, d.Title, d.Kind, d.DecidedOn, decisionScopeText(d))
	fmt.Fprintf(env.stdout, "Compare before and after it: tach report compare --decision %d%s\n", d.ID, sourceArgs(src))
	return nil
}

// sourceArgs repeats the --config / --db flags for a suggested command.
func sourceArgs(src sourceFlags) string {
	switch {
	case src.config != "":
		return " --config " + src.config
	case src.db != "":
		return " --db " + src.db
	}
	return ""
}

func decisionScopeText(d store.Decision) string {
	s := "everything"
	switch {
	case d.ScopeTeam != "":
		s = "team " + d.ScopeTeam
	case len(d.ScopeRepos)+len(d.ScopeModules) > 0:
		s = strings.Join(append(slices.Clone(d.ScopeRepos), d.ScopeModules...), ", ")
	}
	if d.BeforeScope != "" || d.AfterScope != "" {
		s += fmt.Sprintf(" (compares %s before, %s after)", cmp.Or(d.BeforeScope, "its scope"), cmp.Or(d.AfterScope, "its scope"))
	}
	return s
}

func runDecisionsEdit(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "decisions edit", "ID [--date YYYY-MM-DD] [--title T] [--kind K] [--team T | --repo R... --module REPO:NAME... | --everything] [--scope-before S --scope-after S] [--note N] [--link URL] [--config F | --db F]")
	var df decisionFlags
	df.register(fs, true)
	ws, old, err := openDecision(ctx, fs, args, "decisions edit")
	if err != nil {
		return err
	}
	defer ws.Close()
	in := engine.InputOf(old)
	if err := df.apply(fs, &in); err != nil {
		return err
	}
	d, err := ws.decisions.UpdateDecision(ctx, old.ID, in)
	if err != nil {
		return fmt.Errorf("decisions edit: %w", err)
	}
	fmt.Fprintf(env.stdout, "Updated decision #%d: %s (%s, %s, %s).\n", d.ID, d.Title, d.Kind, d.DecidedOn, decisionScopeText(d))
	return nil
}

func runDecisionsRemove(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "decisions rm", "ID [--config F | --db F]")
	ws, d, err := openDecision(ctx, fs, args, "decisions rm")
	if err != nil {
		return err
	}
	defer ws.Close()
	if err := ws.decisions.DeleteDecision(ctx, d.ID); err != nil {
		return fmt.Errorf("decisions rm: %w", err)
	}
	fmt.Fprintf(env.stdout, "Removed decision #%d: %s (%s).\n", d.ID, d.Title, d.DecidedOn)
	return nil
}

// openDecision parses a command's flags and its ID argument, opens the
// database and loads that decision. The caller closes the workspace.
func openDecision(ctx context.Context, fs *flag.FlagSet, args []string, op string) (*workspace, store.Decision, error) {
	var src sourceFlags
	src.register(fs)
	arg, err := splitArgs(fs, args, "decision")
	if err != nil {
		return nil, store.Decision{}, err
	}
	id, err := query.Flags.DecisionID("", arg)
	if err != nil {
		return nil, store.Decision{}, err
	}
	ws, err := src.open(ctx, true)
	if err != nil {
		return nil, store.Decision{}, err
	}
	d, err := ws.st.DecisionByID(ctx, id)
	if err != nil {
		ws.Close()
		return nil, store.Decision{}, fmt.Errorf("%s: %w", op, err)
	}
	return ws, d, nil
}

// decisionJSON is a decision in `tach decisions list --format json`.
type decisionJSON struct {
	ID    int64    `json:"id"`
	Date  string   `json:"date"`
	Title string   `json:"title"`
	Kind  string   `json:"kind"`
	Team  *string  `json:"team"`
	Repos []string `json:"repos"`
	// Modules (REPO:NAME), and the scopes compared before and after when
	// they differ: omitted when empty.
	Modules     []string `json:"modules,omitempty"`
	BeforeScope string   `json:"before_scope,omitempty"`
	AfterScope  string   `json:"after_scope,omitempty"`
	Note        string   `json:"note"`
	Link        string   `json:"link"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
}

func toDecisionJSON(d store.Decision) decisionJSON {
	out := decisionJSON{ID: d.ID, Date: d.DecidedOn, Title: d.Title, Kind: d.Kind, Repos: d.ScopeRepos, Note: d.Note, Link: d.Link,
		Modules: d.ScopeModules, BeforeScope: d.BeforeScope, AfterScope: d.AfterScope,
		CreatedAt: d.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: d.UpdatedAt.UTC().Format(time.RFC3339)}
	if out.Repos == nil {
		out.Repos = []string{}
	}
	if d.ScopeTeam != "" {
		team := d.ScopeTeam
		out.Team = &team
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runDecisionsList(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "decisions list", "[--format text|json] [--config F | --db F]")
	var src sourceFlags
	src.register(fs)
	format := fs.String("format", "text", "output `format`: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if _, err := query.Flags.Choice("format", *format, "text", "json"); err != nil {
		return err
	}
	ws, err := src.open(ctx, true)
	if err != nil {
		return err
	}
	defer ws.Close()
	ds, err := ws.decisions.Decisions(ctx)
	if err != nil {
		return err
	}
	if *format == "json" {
		out := make([]decisionJSON, 0, len(ds))
		for _, d := range ds {
			out = append(out, toDecisionJSON(d))
		}
		return writeJSON(env.stdout, map[string]any{"decisions": out})
	}
	if len(ds) == 0 {
		fmt.Fprintln(env.stdout, "No decision is recorded yet. Record one with `tach decisions add`, or see what the data suggests: `tach decisions candidates`.")
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDATE\tKIND\tSCOPE\tTITLE")
	for _, d := range ds {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", d.ID, d.DecidedOn, d.Kind, decisionScopeText(d), oneLineText(d.Title))
	}
	return tw.Flush()
}

// oneLineText keeps user text on one line of a table.
func oneLineText(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func runDecisionsCandidates(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "decisions candidates", "[--format text|json] [--config F | --db F]")
	var src sourceFlags
	src.register(fs)
	format := fs.String("format", "text", "output `format`: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if _, err := query.Flags.Choice("format", *format, "text", "json"); err != nil {
		return err
	}
	ws, err := src.open(ctx, true)
	if err != nil {
		return err
	}
	defer ws.Close()
	cands, err := ws.decisions.Candidates(ctx, time.Now())
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeJSON(env.stdout, map[string]any{"candidates": cands})
	}
	if len(cands) == 0 {
		fmt.Fprintln(env.stdout, "No suggestion: every new repo, very large refactor and sustained shift the data shows is near a recorded (or dismissed) decision.")
		return nil
	}
	fmt.Fprintf(env.stdout, "%d suggested decisions, newest first. Record one with `tach decisions accept ID`, or stop suggesting it with `tach decisions dismiss ID`.\n", len(cands))
	for _, c := range cands {
		fmt.Fprintf(env.stdout, "\n%s  %s  %s  (%s; suggested kind %s; scope %s)\n", c.ID, c.Date, oneLineText(c.Title), c.Source, c.Kind, candidateScopeText(c))
		for _, e := range c.Evidence {
			fmt.Fprintf(env.stdout, "    - %s\n", oneLineText(e))
		}
	}
	return nil
}

func candidateScopeText(c impact.Candidate) string {
	return decisionScopeText(store.Decision{ScopeTeam: c.Team, ScopeRepos: c.Repos})
}

func runDecisionsAccept(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "decisions accept", "CANDIDATE-ID [--title T] [--kind K] [--date YYYY-MM-DD] [--team T | --repo R... | --everything] [--note N] [--link URL] [--config F | --db F]")
	var src sourceFlags
	var df decisionFlags
	src.register(fs)
	df.register(fs, true)
	id, err := splitArgs(fs, args, "candidate")
	if err != nil {
		return err
	}
	ws, err := src.open(ctx, true)
	if err != nil {
		return err
	}
	defer ws.Close()
	c, err := ws.decisions.Candidate(ctx, id, time.Now())
	if err != nil {
		return fmt.Errorf("decisions accept: %w", err)
	}
	in := engine.CandidateInput(c)
	if err := df.apply(fs, &in); err != nil {
		return err
	}
	d, err := ws.decisions.AcceptCandidate(ctx, c, in)
	if err != nil {
		return fmt.Errorf("decisions accept: %w", err)
	}
	fmt.Fprintf(env.stdout, "Recorded decision #%d: %s (%s, %s, %s). Change it with `tach decisions edit %d`.\n",
		d.ID, d.Title, d.Kind, d.DecidedOn, decisionScopeText(d), d.ID)
	return nil
}

func runDecisionsDismiss(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "decisions dismiss", "CANDIDATE-ID [--config F | --db F]")
	var src sourceFlags
	src.register(fs)
	id, err := splitArgs(fs, args, "candidate")
	if err != nil {
		return err
	}
	ws, err := src.open(ctx, true)
	if err != nil {
		return err
	}
	defer ws.Close()
	c, err := ws.decisions.Candidate(ctx, id, time.Now())
	if err != nil {
		return fmt.Errorf("decisions dismiss: %w", err)
	}
	if err := ws.decisions.DismissCandidate(ctx, c); err != nil {
		return fmt.Errorf("decisions dismiss: %w", err)
	}
	fmt.Fprintf(env.stdout, "Dismissed %s (%s, %s): it will not be suggested again.\n", c.ID, oneLineText(c.Title), c.Date)
	return nil
}
