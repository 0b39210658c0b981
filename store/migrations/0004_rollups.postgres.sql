-- PostgreSQL's 0004_rollups.sql: the same tables, and triggers that do
-- what SQLite's do. A trigger runs a function here. Inserts and deletes
-- are handled once per statement, over the rows it touched (a transition
-- table, "changed"), so that a multi-row insert of a page of changes marks
-- its repo stale once, not once per row; updates of the named columns,
-- row by row, as SQLite does them. The generation moves when a statement
-- touched any row (by one, where SQLite moves it by one per row: only
-- whether it moved is read).

CREATE TABLE rollup_repos (
    repo_id BIGINT           PRIMARY KEY REFERENCES repos (id) ON DELETE CASCADE,
    version BYTEA            NOT NULL DEFAULT '', -- the packing and the rules (bot pattern) it was built with: bytes (a NUL separates them)
    fresh   INTEGER          NOT NULL DEFAULT 0,  -- 1: built from the rows as they are; 2: being built; 0: stale
    open    BYTEA            NOT NULL DEFAULT ''  -- open changes and open incidents
);

-- One row per repo and 28-day period (counted from Monday 1970-01-05 UTC),
-- keyed repo_id * 2^20 + period: a repo's periods are neighbours in the
-- primary key's b-tree, so a report reads a range per repo.
CREATE TABLE rollup_periods (
    key   BIGINT PRIMARY KEY,
    facts BYTEA  NOT NULL
);

CREATE FUNCTION tach_rollup_periods_repo_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM rollup_periods WHERE key BETWEEN OLD.id * 1048576 AND OLD.id * 1048576 + 1048575;
    RETURN NULL;
END $$;
CREATE TRIGGER rollup_periods_repo_delete AFTER DELETE ON repos
FOR EACH ROW EXECUTE FUNCTION tach_rollup_periods_repo_delete();

-- Moves whenever a rollup is built or turns stale: a cached report is
-- valid while it has not moved.
CREATE TABLE rollup_generation (gen BIGINT NOT NULL);
INSERT INTO rollup_generation (gen) VALUES (0);

-- The generation moves: once per statement that touched a row (inserts
-- and deletes), or per row (updates).
CREATE FUNCTION tach_generation_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed) THEN
        UPDATE rollup_generation SET gen = gen + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION tach_generation_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rollup_generation SET gen = gen + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER rollup_generation_insert AFTER INSERT ON rollup_repos
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_generation_statement();
CREATE TRIGGER rollup_generation_update AFTER UPDATE OF fresh, version ON rollup_repos
FOR EACH ROW EXECUTE FUNCTION tach_generation_row();
CREATE TRIGGER rollup_generation_delete AFTER DELETE ON rollup_repos
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_generation_statement();

-- A write to a column the facts are built from makes the repo's rollup
-- stale. Derived columns are left out: only the derive step writes them,
-- and it rebuilds the rollup in the same transaction.
CREATE FUNCTION tach_rollup_stale_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rollup_repos SET fresh = 0 WHERE repo_id IN (SELECT DISTINCT repo_id FROM changed) AND fresh != 0;
    RETURN NULL;
END $$;
CREATE FUNCTION tach_rollup_stale_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rollup_repos SET fresh = 0 WHERE repo_id IN (NEW.repo_id, OLD.repo_id) AND fresh != 0;
    RETURN NULL;
END $$;

CREATE TRIGGER rollup_stale_changes_insert AFTER INSERT ON changes
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_rollup_stale_statement();
CREATE TRIGGER rollup_stale_changes_update AFTER UPDATE OF repo_id, author, author_is_bot, state, draft, created_at,
    ready_at, first_commit_at, merged_at, additions, deletions ON changes
FOR EACH ROW EXECUTE FUNCTION tach_rollup_stale_row();
CREATE TRIGGER rollup_stale_changes_delete AFTER DELETE ON changes
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_rollup_stale_statement();

CREATE TRIGGER rollup_stale_deployments_insert AFTER INSERT ON deployments
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_rollup_stale_statement();
CREATE TRIGGER rollup_stale_deployments_update AFTER UPDATE OF repo_id, finished_at ON deployments
FOR EACH ROW EXECUTE FUNCTION tach_rollup_stale_row();
CREATE TRIGGER rollup_stale_deployments_delete AFTER DELETE ON deployments
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_rollup_stale_statement();

CREATE TRIGGER rollup_stale_incidents_insert AFTER INSERT ON incidents
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_rollup_stale_statement();
CREATE TRIGGER rollup_stale_incidents_update AFTER UPDATE OF repo_id, created_at, resolved_at ON incidents
FOR EACH ROW EXECUTE FUNCTION tach_rollup_stale_row();
CREATE TRIGGER rollup_stale_incidents_delete AFTER DELETE ON incidents
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_rollup_stale_statement();

CREATE TRIGGER rollup_stale_ci_runs_insert AFTER INSERT ON ci_runs
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_rollup_stale_statement();
CREATE TRIGGER rollup_stale_ci_runs_update AFTER UPDATE OF repo_id, conclusion, started_at, finished_at ON ci_runs
FOR EACH ROW EXECUTE FUNCTION tach_rollup_stale_row();
CREATE TRIGGER rollup_stale_ci_runs_delete AFTER DELETE ON ci_runs
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_rollup_stale_statement();
