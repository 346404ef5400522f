-- When an impersonation ends, the sign-in's token is rotated; requests the browser already
-- had under way still carry the old one. For a few seconds the old token still names the
-- sign-in (never the session that ended), so they neither fail nor clear the new cookie.
ALTER TABLE sign_in_sessions ADD COLUMN previous_digest TEXT;
ALTER TABLE sign_in_sessions ADD COLUMN previous_until INTEGER;
CREATE INDEX sign_in_sessions_by_previous ON sign_in_sessions (previous_digest);
