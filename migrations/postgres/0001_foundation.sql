-- Times are UTC milliseconds since the Unix epoch, the same on both databases.

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT   NOT NULL UNIQUE,
    name          TEXT   NOT NULL,
    role          TEXT   NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    status        TEXT   NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
    password_hash TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX users_by_name ON users (name, id);

-- The cookie holds a random token; only its SHA-256 is kept here.
CREATE TABLE sign_in_sessions (
    token_digest TEXT   PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sign_in_sessions_by_user ON sign_in_sessions (user_id);

-- Who may impersonate: granted and removed by an owner (SPEC.md §1).
CREATE TABLE impersonators (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id),
    granted_by BIGINT REFERENCES users (id),
    granted_at BIGINT NOT NULL
);

-- Failed attempts, counted per bucket ("email:…", "address:…") for rate limits; shared by
-- every app instance because it lives in the database.
CREATE TABLE failed_attempts (
    bucket TEXT   NOT NULL,
    at_ms  BIGINT NOT NULL
);
CREATE INDEX failed_attempts_by_bucket ON failed_attempts (bucket, at_ms);

-- The audit trail (SPEC.md §5): append-only, hash-chained.
CREATE TABLE audit_events (
    seq              BIGINT PRIMARY KEY,
    at_ms            BIGINT  NOT NULL,
    kind             TEXT    NOT NULL,
    actor_id         BIGINT,
    subject_id       BIGINT,
    impersonation_id BIGINT,
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
    last_seq  BIGINT NOT NULL,
    last_hash TEXT   NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
