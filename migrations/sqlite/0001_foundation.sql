-- Times are UTC milliseconds since the Unix epoch (BIGINT in PostgreSQL), the same on both databases.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    status        TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX users_by_name ON users (name, id);

-- The cookie holds a random token; only its SHA-256 is kept here.
CREATE TABLE sign_in_sessions (
    token_digest TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sign_in_sessions_by_user ON sign_in_sessions (user_id);

-- Who may impersonate: granted and removed by an owner (SPEC.md §1).
CREATE TABLE impersonators (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id),
    granted_by INTEGER REFERENCES users (id),
    granted_at INTEGER NOT NULL
);

-- Failed attempts, counted per bucket ("email:…", "address:…") for rate limits; shared by
-- every app instance because it lives in the database.
CREATE TABLE failed_attempts (
    bucket TEXT    NOT NULL,
    at_ms  INTEGER NOT NULL
);
CREATE INDEX failed_attempts_by_bucket ON failed_attempts (bucket, at_ms);

-- The audit trail (SPEC.md §5): append-only, hash-chained.
CREATE TABLE audit_events (
    seq              INTEGER PRIMARY KEY,
    at_ms            INTEGER NOT NULL,
    kind             TEXT    NOT NULL,
    actor_id         INTEGER,
    subject_id       INTEGER,
    impersonation_id INTEGER,
    method           TEXT,
    path             TEXT,
    status           INTEGER,
    detail           TEXT    NOT NULL,
    prev_hash        TEXT    NOT NULL,
    hash             TEXT    NOT NULL
);
CREATE INDEX audit_events_by_subject ON audit_events (subject_id, seq);
CREATE INDEX audit_events_by_actor ON audit_events (actor_id, seq);
CREATE INDEX audit_events_by_kind ON audit_events (kind, seq);

-- The chain's head: every append updates this single row first, which serialises appends
-- (a row lock on PostgreSQL, the write lock on SQLite) so the chain can never fork.
CREATE TABLE audit_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq  INTEGER NOT NULL,
    last_hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
