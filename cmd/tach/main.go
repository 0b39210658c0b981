// Command tach is a self-hosted engineering-velocity dashboard: it syncs
// pull requests, deployments, incidents and CI runs from GitHub and GitLab
// into one SQLite file, computes the DORA keys, and serves them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/tach-dev/tach/metrics/query"
)

// command is one subcommand of tach.
type command struct {
	summary string
	run     func(ctx context.Context, env *cli, args []string) error
}

// cli carries what every command writes to, and reads from.
type cli struct {
	stdout, stderr io.Writer
	isTTY          bool
	stdin          io.Reader // nil: nothing to read
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, env *cli, args []string) error) {
	commands[name] = command{summary: summary, run: run}
}

// usageError is a mistake in how tach was called: exit status 2, as for a
// *query.BadInput (a flag's value metrics/query refused).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &cli{stdout: os.Stdout, stderr: os.Stderr, isTTY: isTerminal(os.Stderr), stdin: os.Stdin}
	code := run(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, env *cli, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "tach: unknown command %q; run `tach help` for the list\n", args[0])
		return 2
	}
	err := cmd.run(ctx, env, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(env.stderr, "tach: interrupted")
		return 130
	}
	fmt.Fprintf(env.stderr, "tach: %s\n", oneLine(err.Error()))
	var ue usageError
	var bad *query.BadInput
	if errors.As(err, &ue) || errors.As(err, &bad) {
		return 2
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// exitError carries a specific exit status (a sync where some repos failed).
type exitError struct {
	err  error
	code int
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// oneLine keeps an error on one line: several errors (a config with three
// mistakes) become "first; second; third" only when they fit, else stay as
// separate lines each prefixed by the caller.
func oneLine(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "\ntach: ")
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "tach — engineering velocity and the DORA keys, from GitHub and GitLab, in one SQLite file.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: tach <command> [flags]   (tach <command> --help for its flags)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}

// newFlags returns a flag set whose --help prints to stdout and whose
// mistakes become one-line usage errors.
func newFlags(env *cli, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("tach "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fs.SetOutput(env.stdout)
		fmt.Fprintf(env.stdout, "Usage: tach %s %s\n\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors and
// refusing stray arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		usage()
		return err
	}
	if err != nil {
		return usageError{err.Error() + "; see `" + fs.Name() + " --help`"}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q; see `%s --help`", fs.Arg(0), fs.Name())
	}
	return nil
}

// parseFlagsAndArgs parses flags given before, between or after the n
// positional arguments a command takes (tach users add LOGIN --role
// write), and returns those arguments; want names them for the messages.
func parseFlagsAndArgs(fs *flag.FlagSet, args []string, want ...string) ([]string, error) {
	var pos, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && a != "-":
			rest = append(rest, a)
			// A flag's value may be the next argument (--role write).
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") {
				if f := fs.Lookup(name); f != nil && !isBoolFlag(f) && i+1 < len(args) {
					rest = append(rest, args[i+1])
					i++
				}
			}
		default:
			pos = append(pos, a)
		}
	}
	if err := parseFlags(fs, rest); err != nil {
		return nil, err
	}
	if len(pos) < len(want) {
		return nil, usagef("%s needs %s; see `%s --help`", fs.Name(), strings.Join(want, " "), fs.Name())
	}
	if len(pos) > len(want) {
		return nil, usagef("unexpected argument %q; see `%s --help`", pos[len(want)], fs.Name())
	}
	return pos, nil
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// repeated is a flag that may be given several times (--repo a --repo b).
type repeated []string

func (r *repeated) String() string { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*r = append(*r, p)
		}
	}
	return nil
}
