package main

import (
	"log/slog"

	"github.com/tach-dev/tach/cmd/tach/config"
	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github"
)

// The GitHub collector, built from the config's github section: its token
// and base URL (GitHub Enterprise Server, or a test server).
func init() {
	providerFactories[config.GitHub] = newGitHubCollector
}

func newGitHubCollector(cfg *config.Config, log *slog.Logger) (collectors.Provider, error) {
	opts := github.Options{
		BaseURL:   cfg.GitHub.BaseURL,
		Token:     cfg.GitHub.Token.Reveal(),
		Logger:    log,
		UserAgent: "tach/" + versionString(),
	}
	if a := cfg.GitHub.App; a != nil {
		key, err := a.Key()
		if err != nil {
			return nil, err
		}
		opts.Token, opts.App = "", &github.App{ID: a.ID, PrivateKey: key, InstallationID: a.InstallationID}
	}
	return github.New(opts)
}
