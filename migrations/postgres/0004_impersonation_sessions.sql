-- Impersonation sessions (SPEC.md §3). A live session has no ended_at; the partial unique
-- indexes make "one live session per member" and "one per administrator" hold even when two
-- starts race, whatever the code above does.
CREATE TABLE impersonation_sessions (
    id         BIGSERIAL PRIMARY KEY,
    actor_id   BIGINT  NOT NULL REFERENCES users (id),
    target_id  BIGINT  NOT NULL REFERENCES users (id),
    reason     TEXT    NOT NULL,
    scope      TEXT    NOT NULL CHECK (scope IN ('view_only', 'full_access')),
    via        TEXT    NOT NULL CHECK (via IN ('consent', 'support_code')),
    started_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    ended_at   BIGINT,
    end_reason TEXT
);
CREATE UNIQUE INDEX one_live_session_per_target ON impersonation_sessions (target_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX one_live_session_per_actor ON impersonation_sessions (actor_id) WHERE ended_at IS NULL;
CREATE INDEX impersonation_sessions_by_target ON impersonation_sessions (target_id, id);

-- The act-as marker: the administrator's own sign-in carries the session it acts in.
ALTER TABLE sign_in_sessions ADD COLUMN impersonation_id BIGINT REFERENCES impersonation_sessions (id);
CREATE INDEX sign_in_sessions_by_impersonation ON sign_in_sessions (impersonation_id);
