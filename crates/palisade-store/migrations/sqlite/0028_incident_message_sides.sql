-- Which side wrote an incident entry (SQLite). A message may come from the organisation or from
-- the national team; the organisation's worklist shows the national team's messages it has not
-- answered. Entries written before this: triage decisions and notes are national, and a message
-- is national when its author holds a national role.
ALTER TABLE incident_entries ADD COLUMN from_national INTEGER NOT NULL DEFAULT 0;
UPDATE incident_entries SET from_national = 1
WHERE kind IN ('triage', 'note')
   OR (kind = 'message' AND by_user IN (SELECT user_id FROM role_grants WHERE org_id IS NULL));
CREATE INDEX incident_entries_national_messages ON incident_entries (incident_id, id)
    WHERE kind = 'message' AND from_national = 1;
