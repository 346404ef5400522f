-- The same guard as SQLite's: an insert onto a sequence number already taken is refused by
-- name rather than left to the primary key (an `ON CONFLICT DO UPDATE` meets the update
-- trigger; `ON CONFLICT DO NOTHING` would otherwise pass silently).
CREATE FUNCTION audit_events_no_overwrite() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq) THEN
        RAISE EXCEPTION 'audit_events is append-only';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_no_overwrite BEFORE INSERT ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_no_overwrite();
