-- What `tach serve` keeps for a team: webhook deliveries already seen (so
-- a redelivery is not applied twice), local users and their sessions.

-- One row per webhook delivery received, by the provider's delivery id
-- (X-GitHub-Delivery; GitLab's Idempotency-Key or X-Gitlab-Event-UUID).
-- Old rows are pruned: a provider redelivers within hours, not months.
CREATE TABLE webhook_deliveries (
    provider    TEXT    NOT NULL CHECK (provider IN ('github', 'gitlab')),
    id          TEXT    NOT NULL,
    event       TEXT    NOT NULL DEFAULT '',
    received_at INTEGER NOT NULL,
    outcome     TEXT    NOT NULL DEFAULT 'received', -- received, applied, ignored, unknown_repo, malformed, failed
    PRIMARY KEY (provider, id)
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);

-- Local users (`tach users add`). The password is stored only as a
-- self-describing hash (argon2id: parameters, salt and key).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    login         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('read', 'write')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Login sessions. id_hash is the SHA-256 of the session id the cookie
-- carries: a copy of the database gives no live session.
CREATE TABLE sessions (
    id_hash    TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Repos whose rows changed since they were last derived. A sync marks a
-- repo in the same transaction as the rows it writes and clears the mark
-- once the derive step has run, so a sync killed between the two derives
-- the repo the next time. seq tells a mark set meanwhile from the one the
-- derive saw.
CREATE TABLE derive_pending (
    repo_id INTEGER PRIMARY KEY REFERENCES repos (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL
);
