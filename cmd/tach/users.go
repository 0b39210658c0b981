package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/tach-dev/tach/store"
)

// `tach users` manages the local users who may log in to `tach serve`.
// A password is read from the terminal without echo, or else from the
// first line of standard input (for scripts: printf '%s\n' "$PW" | tach
// users add ada --role read). It is never printed, logged or kept in an
// error message; only its argon2id hash is stored.

func init() {
	register("users", "manage the users who may log in to tach serve (add, list, rm, passwd)", runUsers)
}

const usersUsage = `Usage: tach users <add|list|rm|passwd> [flags]

  tach users add LOGIN --role read|write   add a user; asks for the password
  tach users list                          list the users and their roles
  tach users rm LOGIN                      remove a user and end its sessions
  tach users passwd LOGIN                  set a new password; ends its sessions

Each takes --config F or --db F to name the database (default ./tach.yaml's).
A password has at least 12 characters. It is read from the terminal without
echo, or from the first line of standard input when that is not a terminal.
Role read sees every page; write may also record decisions and start syncs.
`

func runUsers(ctx context.Context, env *cli, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(env.stdout, usersUsage)
		if len(args) == 0 {
			return usagef("users needs a subcommand: add, list, rm or passwd")
		}
		return nil
	}
	switch args[0] {
	case "add":
		return usersAdd(ctx, env, args[1:])
	case "list", "ls":
		return usersList(ctx, env, args[1:])
	case "rm", "remove":
		return usersRemove(ctx, env, args[1:])
	case "passwd", "password":
		return usersPasswd(ctx, env, args[1:])
	}
	return usagef("users: unknown subcommand %q; use add, list, rm or passwd", args[0])
}

func usersAdd(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "users add", "LOGIN --role read|write [--config F | --db F]")
	var src sourceFlags
	src.register(fs)
	role := fs.String("role", "", "`role` of the user: read (every page) or write (also decisions and syncs)")
	pos, err := parseFlagsAndArgs(fs, args, "LOGIN")
	if err != nil {
		return err
	}
	login := pos[0]
	if *role == "" {
		return usagef("users add: give --role read or --role write")
	}
	if err := errors.Join(store.CheckLogin(login), store.CheckRole(*role)); err != nil {
		return usageError{"users add: " + strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	st, err := src.openStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.UserByLogin(ctx, login); err == nil {
		return fmt.Errorf("users add: %s already exists; use `tach users passwd %s` to change its password", login, login)
	}
	pw, err := readNewPassword(env, login)
	if err != nil {
		return fmt.Errorf("users add: %w", err)
	}
	u, err := st.AddUser(ctx, login, pw, *role)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Added user %s (%s).\n", u.Login, u.Role)
	return nil
}

func usersList(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "users list", "[--config F | --db F]")
	var src sourceFlags
	src.register(fs)
	if _, err := parseFlagsAndArgs(fs, args); err != nil {
		return err
	}
	st, err := src.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	users, err := st.Users(ctx)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		fmt.Fprintln(env.stdout, "No users yet; add one with `tach users add LOGIN --role write`.")
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LOGIN\tROLE\tCREATED")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Login, u.Role, u.CreatedAt.Format(time.DateOnly))
	}
	return tw.Flush()
}

func usersRemove(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "users rm", "LOGIN [--config F | --db F]")
	var src sourceFlags
	src.register(fs)
	pos, err := parseFlagsAndArgs(fs, args, "LOGIN")
	if err != nil {
		return err
	}
	st, err := src.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RemoveUser(ctx, pos[0]); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("users rm: no user %s; see `tach users list`", pos[0])
		}
		return err
	}
	fmt.Fprintf(env.stdout, "Removed user %s and ended its sessions.\n", pos[0])
	return nil
}

func usersPasswd(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "users passwd", "LOGIN [--config F | --db F]")
	var src sourceFlags
	src.register(fs)
	pos, err := parseFlagsAndArgs(fs, args, "LOGIN")
	if err != nil {
		return err
	}
	st, err := src.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	login := pos[0]
	if _, err := st.UserByLogin(ctx, login); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("users passwd: no user %s; see `tach users list`", login)
		}
		return err
	}
	pw, err := readNewPassword(env, login)
	if err != nil {
		return fmt.Errorf("users passwd: %w", err)
	}
	if err := st.SetPassword(ctx, login, pw); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Set a new password for %s and ended its sessions.\n", login)
	return nil
}

// readNewPassword reads a password: twice without echo from a terminal,
// or the first line of a non-terminal standard input. It checks the
// policy (store.CheckPasswordPolicy) before anything is stored.
func readNewPassword(env *cli, login string) (string, error) {
	if f, ok := env.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		pw, err := promptPassword(f, env.stderr, fmt.Sprintf("Password for %s (at least %d characters): ", login, store.MinPasswordLength))
		if err != nil {
			return "", err
		}
		if err := store.CheckPasswordPolicy(pw); err != nil {
			return "", err
		}
		again, err := promptPassword(f, env.stderr, "Again: ")
		if err != nil {
			return "", err
		}
		if again != pw {
			return "", errors.New("the two passwords differ; nothing was changed")
		}
		return pw, nil
	}
	if env.stdin == nil {
		return "", errors.New("no password: run it in a terminal, or give the password on standard input")
	}
	line, err := bufio.NewReaderSize(env.stdin, store.MaxPasswordLength+2).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on standard input (give it as the first line)")
	}
	if err := store.CheckPasswordPolicy(pw); err != nil {
		return "", err
	}
	return pw, nil
}

func promptPassword(in *os.File, prompt io.Writer, label string) (string, error) {
	fmt.Fprint(prompt, label)
	b, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(prompt)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return string(b), nil
}
