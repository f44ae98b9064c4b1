-- Inventories (PostgreSQL) are stored in chunks of up to 1,000 components, each a JSON array, so a
-- million-component upload is about two thousand row writes rather than two million. Nothing
-- had been released with the row-per-component tables of 0009: their components are dropped
-- (the uploads and their counts stay), so an organisation uploads again.
DROP TABLE inventory_changes;
DROP TABLE inventory_components;

-- The current snapshot of each organisation, in file order: chunk `seq` holds components
-- seq * 1000 + 1 to seq * 1000 + entries.
CREATE TABLE inventory_snapshot_chunks (
    org_id            BIGINT  NOT NULL REFERENCES organisations(id),
    seq               BIGINT  NOT NULL,
    upload_id         BIGINT  NOT NULL REFERENCES inventory_uploads(id),
    entries           BIGINT  NOT NULL,
    body              TEXT    NOT NULL,
    PRIMARY KEY (org_id, seq)
);

-- What each upload added and removed: added first, then removed, each sorted by asset.
CREATE TABLE inventory_change_chunks (
    upload_id         BIGINT  NOT NULL REFERENCES inventory_uploads(id),
    seq               BIGINT  NOT NULL,
    entries           BIGINT  NOT NULL,
    body              TEXT    NOT NULL,
    PRIMARY KEY (upload_id, seq)
);
