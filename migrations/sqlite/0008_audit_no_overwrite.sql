-- `INSERT OR REPLACE` (and `REPLACE`) removes the row it conflicts with without firing the
-- delete trigger (SQLite fires it only with recursive triggers on): refuse any insert that
-- lands on a sequence number already taken, before it can replace anything. An UPSERT's
-- update half meets the update trigger as well.
CREATE TRIGGER audit_events_no_overwrite BEFORE INSERT ON audit_events
WHEN EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
