-- The activity log filters on any mix of actor, subject and kind, newest first, by sequence
-- number. Each mix gets an index that ends in seq, so a page reads only rows that match,
-- however rare they are among the millions (a time range is a range of seq already; actor,
-- subject and kind together use the actor-and-subject index, a narrow set).
CREATE INDEX audit_events_by_actor_kind ON audit_events (actor_id, kind, seq);
CREATE INDEX audit_events_by_subject_kind ON audit_events (subject_id, kind, seq);
CREATE INDEX audit_events_by_actor_subject ON audit_events (actor_id, subject_id, seq);
