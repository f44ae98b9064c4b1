-- The outbox's counts kept as messages are queued, sent and given up (PostgreSQL), so the national
-- team's outbox figures are read from eight rows, not counted over millions. Each change adds to
-- one slot, chosen by the message's id or the time, so writers on PostgreSQL rarely wait on one
-- row; the figures are the sums of the slots. Seeded from the outbox as it stands.
CREATE TABLE outbox_tally (
    slot    BIGINT PRIMARY KEY,
    pending BIGINT NOT NULL,
    sent    BIGINT NOT NULL,
    gave_up BIGINT NOT NULL
);
INSERT INTO outbox_tally (slot, pending, sent, gave_up)
SELECT 0,
       COALESCE(SUM(CASE WHEN sent_at IS NULL AND gave_up_at IS NULL THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN gave_up_at IS NOT NULL THEN 1 ELSE 0 END), 0)
FROM outbox;
INSERT INTO outbox_tally (slot, pending, sent, gave_up)
VALUES (1, 0, 0, 0), (2, 0, 0, 0), (3, 0, 0, 0), (4, 0, 0, 0), (5, 0, 0, 0), (6, 0, 0, 0),
       (7, 0, 0, 0);

-- The oldest message still waiting, without reading every pending one.
CREATE INDEX outbox_pending_created ON outbox (created_at)
    WHERE sent_at IS NULL AND gave_up_at IS NULL;

-- Due messages are claimed in (next_attempt_at, id) order: with the id in the index, PostgreSQL
-- takes the first few in order instead of sorting every due message first.
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id)
    WHERE sent_at IS NULL AND gave_up_at IS NULL;
