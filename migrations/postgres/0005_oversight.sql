-- Event times never go backwards along the chain (each append takes the later of its clock
-- and the previous event's time), so a time range is a range of sequence numbers.
ALTER TABLE audit_head ADD COLUMN last_at_ms BIGINT NOT NULL DEFAULT 0;
UPDATE audit_head SET last_at_ms = COALESCE((SELECT MAX(at_ms) FROM audit_events), 0);

CREATE INDEX audit_events_by_time ON audit_events (at_ms, seq);
CREATE INDEX audit_events_by_session ON audit_events (impersonation_id, seq);
CREATE INDEX impersonation_sessions_by_actor ON impersonation_sessions (actor_id, started_at);
