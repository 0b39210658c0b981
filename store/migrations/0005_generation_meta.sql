-- The page cache (metrics/engine/cache.go) keeps the repos and teams too,
-- for as long as the rollup generation stands: it moves when they change.
-- ReplaceTeams writes only when the teams differ, so a sync that changes
-- nothing keeps the cache.

CREATE TRIGGER generation_repos_insert AFTER INSERT ON repos
BEGIN UPDATE rollup_generation SET gen = gen + 1; END;
CREATE TRIGGER generation_repos_update AFTER UPDATE OF provider, name, provider_id, default_branch, url, created_at, archived ON repos
BEGIN UPDATE rollup_generation SET gen = gen + 1; END;
CREATE TRIGGER generation_repos_delete AFTER DELETE ON repos
BEGIN UPDATE rollup_generation SET gen = gen + 1; END;

CREATE TRIGGER generation_teams_insert AFTER INSERT ON teams
BEGIN UPDATE rollup_generation SET gen = gen + 1; END;
CREATE TRIGGER generation_teams_delete AFTER DELETE ON teams
BEGIN UPDATE rollup_generation SET gen = gen + 1; END;
CREATE TRIGGER generation_team_repos_insert AFTER INSERT ON team_repos
BEGIN UPDATE rollup_generation SET gen = gen + 1; END;
CREATE TRIGGER generation_team_repos_delete AFTER DELETE ON team_repos
BEGIN UPDATE rollup_generation SET gen = gen + 1; END;
