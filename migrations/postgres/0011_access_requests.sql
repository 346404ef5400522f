-- Sections and access requests (SPEC.md §2). Sections are kept as their names separated by
-- commas, '' for all: a consent, support code, approval or session with '' allows every
-- section, as every row written before sections existed does.
ALTER TABLE consents ADD COLUMN sections TEXT NOT NULL DEFAULT '';
ALTER TABLE support_codes ADD COLUMN sections TEXT NOT NULL DEFAULT '';
ALTER TABLE impersonation_sessions ADD COLUMN sections TEXT NOT NULL DEFAULT '';

-- Support asks, the member decides. A request is pending until answered, withdrawn or 24
-- hours old (`expires_at`); an approval is a consent for its requester alone, until
-- `approved_until`, unless the member revokes it. The partial unique index makes "at most one
-- pending request per administrator and member" hold even when two requests race.
CREATE TABLE access_requests (
    id                BIGSERIAL PRIMARY KEY,
    actor_id          BIGINT  NOT NULL REFERENCES users (id),
    member_id         BIGINT  NOT NULL REFERENCES users (id),
    reason            TEXT    NOT NULL,
    ticket            TEXT,
    scope             TEXT    NOT NULL CHECK (scope IN ('view_only', 'full_access')),
    sections          TEXT    NOT NULL,
    hours             BIGINT  NOT NULL CHECK (hours BETWEEN 1 AND 24),
    requested_at      BIGINT  NOT NULL,
    expires_at        BIGINT  NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'withdrawn', 'expired', 'revoked')),
    answered_at       BIGINT,
    approved_scope    TEXT    CHECK (approved_scope IN ('view_only', 'full_access')),
    approved_sections TEXT,
    approved_until    BIGINT,
    message           TEXT
);
CREATE UNIQUE INDEX one_pending_request ON access_requests (actor_id, member_id) WHERE status = 'pending';
CREATE INDEX access_requests_by_member ON access_requests (member_id, id);
CREATE INDEX access_requests_by_actor ON access_requests (actor_id, id);

-- A session started under an approval names it: it rests on that approval, not on the
-- member's standing consent.
ALTER TABLE impersonation_sessions ADD COLUMN access_request_id BIGINT REFERENCES access_requests (id);

-- How far the member has read their inbox: notices after `read_until` are unread.
CREATE TABLE inbox_reads (
    member_id  BIGINT PRIMARY KEY REFERENCES users (id),
    read_until BIGINT NOT NULL
);
