-- PostgreSQL's 0009_digest_sends.sql, in the types of 0001_init.postgres.sql
-- (text sorted and compared byte by byte, COLLATE "C", as SQLite's; unix
-- seconds as BIGINT). No generation trigger: a delivery changes no figure.
CREATE TABLE digest_sends (
    period     TEXT COLLATE "C" NOT NULL,
    scope      TEXT COLLATE "C" NOT NULL,
    target     TEXT COLLATE "C" NOT NULL,
    claimed_at BIGINT,
    sent_at    BIGINT,
    attempts   BIGINT           NOT NULL DEFAULT 0,
    last_error TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (period, scope, target)
);
