-- PostgreSQL's 0002_decision_candidates.sql, in the types of
-- 0001_init.postgres.sql.

-- Suggested decisions (`tach decisions candidates`) the user has dismissed
-- or accepted, so they are not suggested again. A candidate is found from
-- the data each time; this table only remembers the answers. The id is the
-- candidate's id as shown; source, day and scope let a suggestion that moved
-- a little (a change point found a week later once more data came in) still
-- match the answer given.
CREATE TABLE decision_candidates (
    id           TEXT COLLATE "C" PRIMARY KEY,
    status       TEXT COLLATE "C" NOT NULL CHECK (status IN ('dismissed', 'accepted')),
    source       TEXT COLLATE "C" NOT NULL,              -- new-repo, large-change, shift
    suggested_on TEXT COLLATE "C" NOT NULL,              -- YYYY-MM-DD, a day in the configured timezone
    scope_team   TEXT COLLATE "C" NOT NULL DEFAULT '',
    scope_repos  TEXT COLLATE "C" NOT NULL DEFAULT '[]', -- JSON array of repo names
    title        TEXT COLLATE "C" NOT NULL DEFAULT '',
    decision_id  BIGINT REFERENCES decisions (id) ON DELETE SET NULL, -- the decision an accepted candidate became
    created_at   BIGINT           NOT NULL
);
