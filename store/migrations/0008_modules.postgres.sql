-- PostgreSQL's 0008_modules.sql, in the types of 0001_init.postgres.sql
-- (text sorted and compared byte by byte, COLLATE "C", as SQLite's), with
-- the generation's triggers of 0004_rollups.postgres.sql.

CREATE TABLE modules (
    repo_id  BIGINT           NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    name     TEXT COLLATE "C" NOT NULL,
    paths    TEXT COLLATE "C" NOT NULL,
    source   TEXT COLLATE "C" NOT NULL DEFAULT 'config', -- config or codeowners
    position BIGINT           NOT NULL DEFAULT 0,
    PRIMARY KEY (repo_id, name)
);

CREATE TABLE codeowners (
    repo_id BIGINT PRIMARY KEY REFERENCES repos (id) ON DELETE CASCADE,
    path    TEXT COLLATE "C" NOT NULL,
    etag    TEXT COLLATE "C" NOT NULL DEFAULT '',
    content TEXT COLLATE "C" NOT NULL
);

CREATE TRIGGER generation_modules_insert AFTER INSERT ON modules
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_generation_statement();
CREATE TRIGGER generation_modules_delete AFTER DELETE ON modules
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_generation_statement();

ALTER TABLE decisions ADD COLUMN scope_modules TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE decisions ADD COLUMN before_scope TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE decisions ADD COLUMN after_scope TEXT COLLATE "C" NOT NULL DEFAULT '';
