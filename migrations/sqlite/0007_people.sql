-- People (SPEC.md §1, §6): one-time links that set a password, and what a person sees of
-- each of their sign-ins.

-- A `Set password` link: the link carries a random token, only its SHA-256 is kept here.
-- Single use, valid 24 hours; a newer link for the same person replaces an unused one.
CREATE TABLE password_links (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    token_digest TEXT    NOT NULL UNIQUE,
    purpose      TEXT    NOT NULL CHECK (purpose IN ('new_account', 'reset')),
    issued_by    INTEGER REFERENCES users (id),
    issued_at    INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
);
CREATE INDEX password_links_by_user ON password_links (user_id);

-- A sign-in is named to its person by a random handle (never by its token's digest), with
-- the browser and address it started from.
ALTER TABLE sign_in_sessions ADD COLUMN handle TEXT;
ALTER TABLE sign_in_sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sign_in_sessions ADD COLUMN address TEXT NOT NULL DEFAULT '';
UPDATE sign_in_sessions SET handle = lower(hex(randomblob(12)));
CREATE UNIQUE INDEX sign_in_sessions_by_handle ON sign_in_sessions (handle);
