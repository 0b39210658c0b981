package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// `tach health` asks a running tach serve whether it is ready (its
// /readyz): the health check of a container image that has no shell and
// no curl (deploy/Dockerfile, deploy/compose.yaml).

func init() {
	register("health", "ask a running tach serve whether it is ready (GET /readyz): exit 0 when it is", runHealth)
}

func runHealth(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "health", "[--url URL] [--timeout 5s]")
	target := fs.String("url", "http://127.0.0.1:8080/readyz", "the `URL` of the server's /readyz")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--url %q is not an http(s) URL (for example http://127.0.0.1:8080/readyz)", *target)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %s does not answer: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	text := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		first, _, _ := strings.Cut(text, "\n")
		return fmt.Errorf("health: %s answered %s: %s", u.Redacted(), resp.Status, first)
	}
	fmt.Fprintln(env.stdout, text)
	return nil
}
