package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

func init() {
	register("migrate", "create the database or bring its schema up to date", runMigrate)
	register("version", "print tach's version", runVersion)
}

func runMigrate(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "migrate", "[--config F | --db F]")
	var src sourceFlags
	src.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ws, err := src.open(ctx, false)
	if err != nil {
		return err
	}
	defer ws.Close()
	v, err := ws.st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s is at schema version %d\n", ws.st.Path(), v)
	return nil
}

// version is set at build time (-ldflags "-X main.version=v1.2.3"); else the
// module's version or VCS revision.
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel-" + s.Value[:12]
		}
	}
	return "devel"
}

func runVersion(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "version", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "tach %s\n", versionString())
	return nil
}
