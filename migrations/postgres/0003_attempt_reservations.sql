-- Each attempt is counted before it is judged (so attempts sent at once cannot all slip under
-- the limit); a successful one takes its rows back out by this id.
ALTER TABLE failed_attempts ADD COLUMN attempt_id TEXT;
CREATE INDEX failed_attempts_by_attempt ON failed_attempts (attempt_id);
