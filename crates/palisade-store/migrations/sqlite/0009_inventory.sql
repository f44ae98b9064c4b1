-- Inventories (SQLite): each organisation's current components, every upload, and what each
-- upload added and removed.
CREATE TABLE inventory_uploads (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            INTEGER NOT NULL REFERENCES organisations(id),
    format            TEXT    NOT NULL CHECK (format IN ('csv', 'cyclonedx', 'spdx')),
    components        INTEGER NOT NULL,
    added             INTEGER NOT NULL,
    removed           INTEGER NOT NULL,
    uploaded_at       INTEGER NOT NULL,
    by_user           INTEGER REFERENCES users(id)
);
CREATE INDEX inventory_uploads_org ON inventory_uploads (org_id, id);

CREATE TABLE inventory_components (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            INTEGER NOT NULL REFERENCES organisations(id),
    upload_id         INTEGER NOT NULL REFERENCES inventory_uploads(id),
    asset             TEXT    NOT NULL,
    asset_type        TEXT    NOT NULL,
    vendor            TEXT    NOT NULL,
    product           TEXT    NOT NULL,
    version           TEXT,
    cpe               TEXT,
    purl              TEXT,
    internet_facing   INTEGER NOT NULL,
    location          TEXT
);
CREATE INDEX inventory_components_org ON inventory_components (org_id, id);

CREATE TABLE inventory_changes (
    upload_id         INTEGER NOT NULL REFERENCES inventory_uploads(id),
    change            TEXT    NOT NULL CHECK (change IN ('added', 'removed')),
    asset             TEXT    NOT NULL,
    asset_type        TEXT    NOT NULL,
    vendor            TEXT    NOT NULL,
    product           TEXT    NOT NULL,
    version           TEXT,
    cpe               TEXT,
    purl              TEXT
);
CREATE INDEX inventory_changes_upload ON inventory_changes (upload_id);
