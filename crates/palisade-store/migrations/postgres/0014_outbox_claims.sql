-- How many times each message has been claimed for sending. A message claimed before may have
-- reached its provider even though no outcome was recorded (a worker stopped between sending
-- and marking it, or the provider accepted it and then did not answer in time), so the worker
-- asks the provider before sending it again.
ALTER TABLE outbox ADD COLUMN claims BIGINT NOT NULL DEFAULT 0;
