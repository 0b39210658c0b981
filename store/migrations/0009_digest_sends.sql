-- The weekly review's deliveries (issue 15): one row per reviewed week,
-- scope and destination, so that a digest is posted once per week even
-- with several replicas or a restart. A replica claims a row before it
-- posts (claimed_at) and marks it sent (sent_at); a claim left by a
-- replica that died is taken over once it is old. target names the
-- destination by its platform and a hash of its URL: the URL itself is a
-- credential and is never stored.
CREATE TABLE digest_sends (
    period     TEXT    NOT NULL,             -- the reviewed week's Monday, YYYY-MM-DD
    scope      TEXT    NOT NULL,             -- the team's name, or '' for all repos
    target     TEXT    NOT NULL,             -- platform:hash of the URL
    claimed_at INTEGER,                      -- unix seconds; NULL when nobody is posting it
    sent_at    INTEGER,                      -- unix seconds; NULL until delivered
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (period, scope, target)
);
