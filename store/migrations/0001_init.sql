-- The first schema of tach. Times are INTEGER Unix seconds in UTC; NULL
-- means absent (never merged, never reviewed). Lists of labels are JSON
-- arrays of strings. Columns marked "derived" are written by the derive
-- step (metrics.Derive over a repo's history), never by a collector.

CREATE TABLE repos (
    id             INTEGER PRIMARY KEY,
    provider       TEXT    NOT NULL CHECK (provider IN ('github', 'gitlab')),
    name           TEXT    NOT NULL,           -- owner/name or group/sub/project
    provider_id    TEXT    NOT NULL DEFAULT '',
    default_branch TEXT    NOT NULL DEFAULT 'main',
    url            TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER,                    -- the repository's creation at the provider
    archived       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (provider, name)
);

CREATE TABLE changes (
    id                INTEGER PRIMARY KEY,
    repo_id           INTEGER NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    number            INTEGER NOT NULL,        -- PR number / MR iid
    provider_id       TEXT    NOT NULL DEFAULT '',
    title             TEXT    NOT NULL,
    author            TEXT    NOT NULL,
    author_is_bot     INTEGER NOT NULL DEFAULT 0,
    state             TEXT    NOT NULL CHECK (state IN ('open', 'merged', 'closed')),
    draft             INTEGER NOT NULL DEFAULT 0,
    labels            TEXT    NOT NULL DEFAULT '[]',
    created_at        INTEGER NOT NULL,
    ready_at          INTEGER,
    first_commit_at   INTEGER,
    merged_at         INTEGER,
    closed_at         INTEGER,
    updated_at        INTEGER NOT NULL,
    additions         INTEGER,
    deletions         INTEGER,
    changed_files     INTEGER,
    merge_sha         TEXT    NOT NULL DEFAULT '',
    squash_sha        TEXT    NOT NULL DEFAULT '',
    base_branch       TEXT    NOT NULL DEFAULT '',
    url               TEXT    NOT NULL DEFAULT '',
    first_review_at   INTEGER,                 -- derived
    first_approval_at INTEGER,                 -- derived
    UNIQUE (repo_id, number)
);
CREATE INDEX changes_repo_merged ON changes (repo_id, merged_at);
CREATE INDEX changes_repo_state ON changes (repo_id, state);
CREATE INDEX changes_merge_sha ON changes (repo_id, merge_sha);

-- Reviews, review comments and approvals: the input of a change's first
-- review (bots and the author are left out by the rules, not here).
CREATE TABLE reviews (
    change_id     INTEGER NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    provider_id   TEXT    NOT NULL,
    author        TEXT    NOT NULL,
    author_is_bot INTEGER NOT NULL DEFAULT 0,
    state         TEXT    NOT NULL,            -- approved, changes_requested, commented, dismissed
    submitted_at  INTEGER NOT NULL,
    PRIMARY KEY (change_id, provider_id)
);

CREATE TABLE deployments (
    id               INTEGER PRIMARY KEY,
    repo_id          INTEGER NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    source           TEXT    NOT NULL CHECK (source IN ('deployments', 'workflow', 'releases', 'merges')),
    provider_id      TEXT    NOT NULL,         -- deployment id, run id, release id, or change number
    environment      TEXT    NOT NULL,
    environment_tier TEXT    NOT NULL DEFAULT '',
    sha              TEXT    NOT NULL,
    ref              TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'success', 'failure', 'error', 'canceled')),
    creator          TEXT    NOT NULL DEFAULT '',
    url              TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER,                  -- the first terminal status
    updated_at       INTEGER NOT NULL,
    range_fetched    INTEGER NOT NULL DEFAULT 0, -- the compare range is in deployment_commits
    production       INTEGER NOT NULL DEFAULT 0, -- derived: succeeded in a production environment
    failed_attempt   INTEGER NOT NULL DEFAULT 0, -- derived: failed or errored in a production environment
    failed           INTEGER NOT NULL DEFAULT 0, -- derived: change failure
    failure_cause    TEXT    NOT NULL DEFAULT '', -- derived: incident, rollback, incident+rollback
    rollback         INTEGER NOT NULL DEFAULT 0, -- derived
    rework           INTEGER NOT NULL DEFAULT 0, -- derived
    recovered_at     INTEGER,                  -- derived
    recovered_by     TEXT    NOT NULL DEFAULT '', -- derived: incident_resolved, rollback
    UNIQUE (repo_id, source, provider_id)
);
CREATE INDEX deployments_repo_finished ON deployments (repo_id, finished_at);
CREATE INDEX deployments_repo_recovered ON deployments (repo_id, recovered_at);

-- The commit range previous...this of a deployment (link: commits), fetched
-- once from the compare API.
CREATE TABLE deployment_commits (
    deployment_id INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    sha           TEXT    NOT NULL,
    PRIMARY KEY (deployment_id, sha)
);

-- Derived: which production deployment shipped each change (once).
CREATE TABLE deployment_changes (
    deployment_id INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    change_id     INTEGER NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    PRIMARY KEY (deployment_id, change_id),
    UNIQUE (change_id)
);

CREATE TABLE incidents (
    id            INTEGER PRIMARY KEY,
    repo_id       INTEGER NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    provider_id   TEXT    NOT NULL DEFAULT '',
    title         TEXT    NOT NULL,
    labels        TEXT    NOT NULL DEFAULT '[]',
    url           TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    resolved_at   INTEGER,
    updated_at    INTEGER NOT NULL,
    deployment_id INTEGER REFERENCES deployments (id) ON DELETE SET NULL, -- derived
    UNIQUE (repo_id, number)
);
CREATE INDEX incidents_repo_created ON incidents (repo_id, created_at);
CREATE INDEX incidents_repo_resolved ON incidents (repo_id, resolved_at);
CREATE INDEX incidents_deployment ON incidents (deployment_id);

CREATE TABLE ci_runs (
    id          INTEGER PRIMARY KEY,
    repo_id     INTEGER NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    provider_id TEXT    NOT NULL,
    name        TEXT    NOT NULL DEFAULT '',
    branch      TEXT    NOT NULL DEFAULT '',
    event       TEXT    NOT NULL DEFAULT '',
    sha         TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT '',
    conclusion  TEXT    NOT NULL DEFAULT '',
    url         TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER,
    updated_at  INTEGER NOT NULL,
    UNIQUE (repo_id, provider_id)
);
CREATE INDEX ci_runs_repo_finished ON ci_runs (repo_id, finished_at);

CREATE TABLE decisions (
    id          INTEGER PRIMARY KEY,
    decided_on  TEXT    NOT NULL,              -- YYYY-MM-DD, a day in the configured timezone
    title       TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('architecture', 'data-access', 'caching', 'refactor', 'process', 'tooling', 'other')),
    scope_team  TEXT    NOT NULL DEFAULT '',   -- a team, or '' with no repos for everything
    scope_repos TEXT    NOT NULL DEFAULT '[]', -- JSON array of repo names
    note        TEXT    NOT NULL DEFAULT '',
    link        TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE teams (
    name TEXT PRIMARY KEY
);

CREATE TABLE team_repos (
    team    TEXT    NOT NULL REFERENCES teams (name) ON DELETE CASCADE,
    repo_id INTEGER NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    PRIMARY KEY (team, repo_id)
);

-- Per repo and resource (changes, deployments, ci_runs, incidents, ...).
CREATE TABLE sync_state (
    repo_id              INTEGER NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    resource             TEXT    NOT NULL,
    watermark            INTEGER,              -- updated-at of the newest row committed
    etag                 TEXT    NOT NULL DEFAULT '',
    last_success_at      INTEGER,
    last_error           TEXT    NOT NULL DEFAULT '',
    last_error_at        INTEGER,
    rows                 INTEGER NOT NULL DEFAULT 0,
    requests             INTEGER NOT NULL DEFAULT 0, -- requests used by the last run
    rate_limit_remaining INTEGER,
    rate_limit_reset_at  INTEGER,
    PRIMARY KEY (repo_id, resource)
);

-- Small facts about the database: the hash of the rules the derived columns
-- were computed with, the demo marker.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
