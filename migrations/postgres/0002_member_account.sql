-- The member's side: consent, support codes, and the account an administrator acts on.

-- At most one standing consent per member; granting again replaces it, revoking deletes it
-- (the audit trail keeps the history). Past its expiry it is simply inactive.
CREATE TABLE consents (
    user_id    BIGINT  PRIMARY KEY REFERENCES users (id),
    scope      TEXT    NOT NULL CHECK (scope IN ('view_only', 'full_access')),
    granted_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);

-- Single-use codes for phone support; only an Argon2id hash of each code is kept.
CREATE TABLE support_codes (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    code_hash  TEXT    NOT NULL,
    scope      TEXT    NOT NULL CHECK (scope IN ('view_only', 'full_access')),
    issued_at  BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT,
    used_by    BIGINT  REFERENCES users (id)
);
CREATE INDEX support_codes_by_user ON support_codes (user_id, expires_at);

CREATE TABLE profiles (
    user_id      BIGINT  PRIMARY KEY REFERENCES users (id),
    display_name TEXT    NOT NULL,
    phone        TEXT    NOT NULL DEFAULT '',
    time_zone    TEXT    NOT NULL DEFAULT 'UTC',
    updated_at   BIGINT  NOT NULL
);

CREATE TABLE projects (
    id          BIGSERIAL PRIMARY KEY,
    owner_id    BIGINT  NOT NULL REFERENCES users (id),
    name        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    archived_at BIGINT
);
CREATE INDEX projects_by_owner ON projects (owner_id, id);

CREATE TABLE payout_details (
    user_id    BIGINT  PRIMARY KEY REFERENCES users (id),
    iban       TEXT    NOT NULL,
    updated_at BIGINT  NOT NULL
);
