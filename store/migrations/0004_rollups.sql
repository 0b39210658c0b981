-- Rollups: what a report reads, precomputed per repo and period by the
-- derive step, so that a report over three years of a thousand repos reads
-- a few thousand packed rows instead of millions of whole ones. They are
-- a cache of the rows: the facts of package metrics (a change's lead time
-- and cycle parts, a deployment's outcome, a CI run's duration, each with
-- the time that places it in a window), packed by metrics/engine. A repo's
-- rollup is used only while it is fresh; any write to a row it was built
-- from marks it stale (the triggers below) and reports read that repo's
-- rows instead until the derive step rebuilds it.

CREATE TABLE rollup_repos (
    repo_id INTEGER PRIMARY KEY REFERENCES repos (id) ON DELETE CASCADE,
    version TEXT    NOT NULL DEFAULT '', -- the packing and the rules (bot pattern) it was built with
    fresh   INTEGER NOT NULL DEFAULT 0,  -- 1: built from the rows as they are; 2: being built; 0: stale
    open    BLOB    NOT NULL DEFAULT x'' -- open changes and open incidents
);

-- One row per repo and 28-day period (counted from Monday 1970-01-05 UTC),
-- keyed repo_id * 2^20 + period: one b-tree, and a repo's periods are
-- neighbours in it, so a report reads a range per repo.
CREATE TABLE rollup_periods (
    key   INTEGER PRIMARY KEY,
    facts BLOB NOT NULL
);
CREATE TRIGGER rollup_periods_repo_delete AFTER DELETE ON repos
BEGIN DELETE FROM rollup_periods WHERE key BETWEEN OLD.id * 1048576 AND OLD.id * 1048576 + 1048575; END;

-- Moves whenever a rollup is built or turns stale: a cached report is
-- valid while it has not moved.
CREATE TABLE rollup_generation (gen INTEGER NOT NULL);
INSERT INTO rollup_generation (gen) VALUES (0);

CREATE TRIGGER rollup_generation_insert AFTER INSERT ON rollup_repos
BEGIN UPDATE rollup_generation SET gen = gen + 1; END;
CREATE TRIGGER rollup_generation_update AFTER UPDATE OF fresh, version ON rollup_repos
BEGIN UPDATE rollup_generation SET gen = gen + 1; END;
CREATE TRIGGER rollup_generation_delete AFTER DELETE ON rollup_repos
BEGIN UPDATE rollup_generation SET gen = gen + 1; END;

-- A write to a column the facts are built from makes the repo's rollup
-- stale. Derived columns are left out: only the derive step writes them,
-- and it rebuilds the rollup in the same transaction.
CREATE TRIGGER rollup_stale_changes_insert AFTER INSERT ON changes
BEGIN UPDATE rollup_repos SET fresh = 0 WHERE repo_id = NEW.repo_id AND fresh != 0; END;
CREATE TRIGGER rollup_stale_changes_update AFTER UPDATE OF repo_id, author, author_is_bot, state, draft, created_at,
    ready_at, first_commit_at, merged_at, additions, deletions ON changes
BEGIN UPDATE rollup_repos SET fresh = 0 WHERE repo_id IN (NEW.repo_id, OLD.repo_id) AND fresh != 0; END;
CREATE TRIGGER rollup_stale_changes_delete AFTER DELETE ON changes
BEGIN UPDATE rollup_repos SET fresh = 0 WHERE repo_id = OLD.repo_id AND fresh != 0; END;

CREATE TRIGGER rollup_stale_deployments_insert AFTER INSERT ON deployments
BEGIN UPDATE rollup_repos SET fresh = 0 WHERE repo_id = NEW.repo_id AND fresh != 0; END;
CREATE TRIGGER rollup_stale_deployments_update AFTER UPDATE OF repo_id, finished_at ON deployments
BEGIN UPDATE rollup_repos SET fresh = 0 WHERE repo_id IN (NEW.repo_id, OLD.repo_id) AND fresh != 0; END;
CREATE TRIGGER rollup_stale_deployments_delete AFTER DELETE ON deployments
BEGIN UPDATE rollup_repos SET fresh = 0 WHERE repo_id = OLD.repo_id AND fresh != 0; END;

CREATE TRIGGER rollup_stale_incidents_insert AFTER INSERT ON incidents
BEGIN UPDATE rollup_repos SET fresh = 0 WHERE repo_id = NEW.repo_id AND fresh != 0; END;
CREATE TRIGGER rollup_stale_incidents_update AFTER UPDATE OF repo_id, created_at, resolved_at ON incidents
BEGIN UPDATE rollup_repos SET fresh = 0 WHERE repo_id IN (NEW.repo_id, OLD.repo_id) AND fresh != 0; END;
CREATE TRIGGER rollup_stale_incidents_delete AFTER DELETE ON incidents
BEGIN UPDATE rollup_repos SET fresh = 0 WHERE repo_id = OLD.repo_id AND fresh != 0; END;

CREATE TRIGGER rollup_stale_ci_runs_insert AFTER INSERT ON ci_runs
BEGIN UPDATE rollup_repos SET fresh = 0 WHERE repo_id = NEW.repo_id AND fresh != 0; END;
CREATE TRIGGER rollup_stale_ci_runs_update AFTER UPDATE OF repo_id, conclusion, started_at, finished_at ON ci_runs
BEGIN UPDATE rollup_repos SET fresh = 0 WHERE repo_id IN (NEW.repo_id, OLD.repo_id) AND fresh != 0; END;
CREATE TRIGGER rollup_stale_ci_runs_delete AFTER DELETE ON ci_runs
BEGIN UPDATE rollup_repos SET fresh = 0 WHERE repo_id = OLD.repo_id AND fresh != 0; END;
