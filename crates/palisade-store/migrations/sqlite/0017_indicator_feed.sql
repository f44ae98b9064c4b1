-- The indicators TAXII collection: each indicator's STIX id (name-based, from its case, type and
-- value; filled for older rows when Palisade opens its database), so one object can be looked
-- up, and the collection's order (when added, then id) for paging.
ALTER TABLE incident_indicators ADD COLUMN stix_id TEXT;
CREATE UNIQUE INDEX incident_indicators_stix ON incident_indicators (stix_id);
CREATE INDEX incident_indicators_added ON incident_indicators (created_at, id);
