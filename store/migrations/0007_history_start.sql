-- Each repo's history start: the earliest time from which tach holds all of
-- its records (Unix seconds). Before it the repo has no data: reports say
-- their window is partial, weekly values are null and comparisons that
-- reach before it are not made (docs/metrics.md, "Where history starts").
-- NULL until known: a repo's first sync records `now - sync.history`, the
-- demo its first week.
ALTER TABLE repos ADD COLUMN history_start INTEGER;

-- Databases synced before this was recorded: the first sync's start is
-- not known, but every list a first sync reads is bounded by it (changes
-- by their last update, deployments and CI runs by their creation), so the
-- day of the repo's earliest such record is the best estimate.
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
