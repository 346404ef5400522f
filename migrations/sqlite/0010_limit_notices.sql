-- A limit already reached is recorded once per window, with a count (SPEC.md §6): this keeps
-- the window a bucket's refusals are being counted in, so a stranger cannot grow the audit
-- log with refused attempts.
CREATE TABLE limit_notices (
    bucket       TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    refused      INTEGER NOT NULL
);
