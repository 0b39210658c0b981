-- The files each change touched: the input of module scopes (a module is a
-- set of path globs inside a repo; a change touches it through its files).
-- Paths are stored once per repo in a dictionary, so a module's changes are
-- found by matching its globs against the repo's paths once, then joining
-- the matching path ids to change_files through change_files_path.

CREATE TABLE paths (
    id      INTEGER PRIMARY KEY,
    repo_id INTEGER NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    path    TEXT    NOT NULL,
    UNIQUE (repo_id, path)
);

-- One row per path a change touched, with its added and deleted lines. A
-- rename is two rows: the new path, with the lines and previous_path_id,
-- and the old path (renamed_away = 1, no lines of its own), so that a
-- change touches both (a rename counts both paths) through the one index.
-- A change's rows are replaced together whenever its files are fetched.
CREATE TABLE change_files (
    change_id        INTEGER NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    path_id          INTEGER NOT NULL REFERENCES paths (id),
    additions        INTEGER NOT NULL DEFAULT 0,
    deletions        INTEGER NOT NULL DEFAULT 0,
    previous_path_id INTEGER REFERENCES paths (id), -- a rename: the path before
    renamed_away     INTEGER NOT NULL DEFAULT 0,    -- 1: only a rename's old path
    PRIMARY KEY (change_id, path_id)
);
-- "The changes touching these paths" (the primary key serves "the paths of
-- these changes").
CREATE INDEX change_files_path ON change_files (path_id, change_id);

-- 1 once the change's files are stored (a change may touch no file at all);
-- 0 for a change synced before files were collected, or whose files a
-- webhook made stale (new commits pushed): the next sync fetches them.
ALTER TABLE changes ADD COLUMN files_fetched INTEGER NOT NULL DEFAULT 0;
CREATE INDEX changes_files_pending ON changes (repo_id, number) WHERE files_fetched = 0;
