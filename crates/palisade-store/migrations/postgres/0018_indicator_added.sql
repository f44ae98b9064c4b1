-- When each indicator was added to the TAXII collection, in milliseconds, for `added_after`.
-- Unlike `created_at` (whole seconds) it grows with every indicator, in the order they were
-- committed: Palisade sets it inside the write transaction as one past the newest (or the time,
-- if later), so a reader polling with the last time it saw never misses one added after.
-- Indicators kept before this carry their creation second; those share times, which paging
-- tells apart by id.
ALTER TABLE incident_indicators ADD COLUMN added_ms BIGINT NOT NULL DEFAULT 0;
UPDATE incident_indicators SET added_ms = created_at * 1000;
DROP INDEX incident_indicators_added;
DROP INDEX incident_indicators_clear;
CREATE INDEX incident_indicators_added ON incident_indicators (added_ms, id);
CREATE INDEX incident_indicators_clear ON incident_indicators (added_ms, id) WHERE tlp = 'clear';
-- Indicator ids were name-based on the case number, type and value: a reader shown the value
-- could try case numbers until one matched and so learn the case. Every indicator gets a new
-- random id when Palisade next opens its database (each object's id changes once).
UPDATE incident_indicators SET stix_id = NULL;
