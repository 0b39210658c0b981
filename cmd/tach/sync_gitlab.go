package main

import (
	"log/slog"

	"github.com/tach-dev/tach/cmd/tach/config"
	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/gitlab"
)

// The GitLab collector, built from the config's gitlab section:
// gitlab.base_url (gitlab.com or a self-managed GitLab's /api/v4) and
// gitlab.token (a token with read_api).
func init() {
	providerFactories[config.GitLab] = func(cfg *config.Config, log *slog.Logger) (collectors.Provider, error) {
		return gitlab.New(gitlab.Options{
			BaseURL: cfg.GitLab.BaseURL,
			Token:   cfg.GitLab.Token.Reveal(),
			Logger:  log.With("provider", "gitlab"),
		})
	}
}
