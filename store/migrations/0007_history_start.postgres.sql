-- PostgreSQL's 0007_history_start.sql, in the types of
-- 0001_init.postgres.sql (times as BIGINT Unix seconds).

-- Each repo's history start: the earliest time from which tach holds all of
-- its records. NULL until known (docs/metrics.md, "Where history starts").
ALTER TABLE repos ADD COLUMN history_start BIGINT;

-- Databases synced before this was recorded: the day of the repo's
-- earliest record among the lists a first sync reads back by time.
UPDATE repos SET history_start = (
    SELECT (MIN(t) / 86400) * 86400 FROM (
        SELECT MIN(updated_at) AS t FROM changes WHERE changes.repo_id = repos.id
        UNION ALL
        SELECT MIN(created_at) AS t FROM deployments WHERE deployments.repo_id = repos.id
        UNION ALL
        SELECT MIN(created_at) AS t FROM ci_runs WHERE ci_runs.repo_id = repos.id
    ) AS firsts
);

-- A repo whose records begin within 30 days of its creation at the
-- provider was synced from its birth: nothing of it is missing.
UPDATE repos SET history_start = created_at
WHERE created_at IS NOT NULL AND history_start IS NOT NULL
    AND created_at <= history_start AND history_start - created_at <= 30 * 86400;

-- The page cache keeps the repos: a new column read makes it stale.
UPDATE rollup_generation SET gen = gen + 1;
