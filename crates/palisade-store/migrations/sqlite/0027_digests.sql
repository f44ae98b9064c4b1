-- The daily digest (SQLite): a contact may take reminders of deadlines days away as one email a
-- day instead of one message each.
ALTER TABLE contacts ADD COLUMN reminders TEXT NOT NULL DEFAULT 'each'
    CHECK (reminders IN ('each', 'daily'));

-- A reminder waiting for a contact's next digest. It is written in the same transaction as the
-- reminder's key (so it is collected once, like a message), and `digest_key` names the outbox
-- message that carried it: written with that message, so a digest is sent once and holds each
-- item once. Its key is the reminder's with the contact and the `digest` channel.
CREATE TABLE digest_items (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT    NOT NULL UNIQUE,
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    org_id     INTEGER NOT NULL REFERENCES organisations(id),
    subject    TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    digest_key TEXT
);
CREATE INDEX digest_items_pending ON digest_items (contact_id, id) WHERE digest_key IS NULL;
-- The digest job walks the addresses in order, each checked for items waiting.
CREATE INDEX contacts_email ON contacts (email, id);
