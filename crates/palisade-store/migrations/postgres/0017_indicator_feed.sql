-- The indicators TAXII collection: each indicator's STIX id (name-based, from its case, type and
-- value; filled for older rows when Palisade opens its database), so one object can be looked
-- up, and the collection's order (when added, then id) for paging.
ALTER TABLE incident_indicators ADD COLUMN stix_id TEXT;
CREATE UNIQUE INDEX incident_indicators_stix ON incident_indicators (stix_id);
CREATE INDEX incident_indicators_added ON incident_indicators (created_at, id);
-- Anyone without a token reads TLP:CLEAR only: its own index, so a page never steps over the rest.
CREATE INDEX incident_indicators_clear ON incident_indicators (created_at, id) WHERE tlp = 'clear';

-- The national board counts what its filters match on every page: these indexes hold every
-- column a filter reads, so the count reads an index and never the incidents' rows (whose
-- fields are large). One leads with the notification time (no organisation filter, and the
-- board's order), one with the organisation (a region or type picks organisations first).
CREATE INDEX incidents_board ON incidents (notified_at, status, kind, severity, impact,
    regulator_reportable, nis_reportable, reported_late, next_due_at, assignee_id, org_id)
    WHERE notified_at IS NOT NULL;
CREATE INDEX incidents_org_board ON incidents (org_id, notified_at, status, kind, severity, impact,
    regulator_reportable, nis_reportable, reported_late, next_due_at, assignee_id)
    WHERE notified_at IS NOT NULL;
-- Most of the board's use is the open cases, a small part of a decade's: their own index.
CREATE INDEX incidents_open_board ON incidents (notified_at, status, kind, severity, impact,
    regulator_reportable, nis_reportable, reported_late, next_due_at, assignee_id, org_id)
    WHERE notified_at IS NOT NULL AND status <> 'closed';
CREATE INDEX organisations_region ON organisations (region, id);
