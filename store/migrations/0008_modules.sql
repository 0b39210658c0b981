-- Modules: named sets of path globs inside a repo (docs/metrics.md,
-- "Modules"), as the config names them or as the repo's CODEOWNERS file
-- makes them (one per owner), written by each sync so that every report
-- reads them from here, as it reads the teams. paths holds the globs, one
-- a line; position keeps the config's order.
CREATE TABLE modules (
    repo_id  INTEGER NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    name     TEXT    NOT NULL,
    paths    TEXT    NOT NULL,
    source   TEXT    NOT NULL DEFAULT 'config', -- config or codeowners
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repo_id, name)
);

-- A repo's CODEOWNERS file as last read, with the ETag that lets the
-- next sync ask for it conditionally (one request, 304 when unchanged).
CREATE TABLE codeowners (
    repo_id INTEGER PRIMARY KEY REFERENCES repos (id) ON DELETE CASCADE,
    path    TEXT NOT NULL,
    etag    TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL
);

-- The page cache keeps the modules with the repos and teams: the
-- generation moves when they change (ReplaceModules writes only then).
CREATE TRIGGER generation_modules_insert AFTER INSERT ON modules
BEGIN UPDATE rollup_generation SET gen = gen + 1; END;
CREATE TRIGGER generation_modules_delete AFTER DELETE ON modules
BEGIN UPDATE rollup_generation SET gen = gen + 1; END;

-- Decisions scoped to modules (REPO:NAME, one a line), and decisions that
-- compare one scope before against another after (a module before against
-- the service it became): each scope written as a query (repo=acme/payments,
-- module=acme/shop:payments, team=payments); '' means the decision's scope.
ALTER TABLE decisions ADD COLUMN scope_modules TEXT NOT NULL DEFAULT '';
ALTER TABLE decisions ADD COLUMN before_scope TEXT NOT NULL DEFAULT '';
ALTER TABLE decisions ADD COLUMN after_scope TEXT NOT NULL DEFAULT '';
