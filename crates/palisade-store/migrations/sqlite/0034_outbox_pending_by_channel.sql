-- Due messages are claimed channel by channel, each in (next_attempt_at, id) order. With the
-- channel first in the index, a claim for email never reads past the texts waiting for a Notify
-- service this server has not configured (or the other way round): before, every round walked
-- over all of them.
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (channel, next_attempt_at, id)
    WHERE sent_at IS NULL AND gave_up_at IS NULL;
