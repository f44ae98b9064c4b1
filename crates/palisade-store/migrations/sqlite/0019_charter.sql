-- The supplier cyber security charter (SQLite): each version of the charter file as imported,
-- and the signatures IT suppliers make, withdraw and renew (the newest is the one in force).
CREATE TABLE charters (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    version              INTEGER NOT NULL UNIQUE,
    -- The checked charter (palisade_domain::charter::Charter) as canonical JSON, and its
    -- SHA-256, which tells the same file imported again from a changed one.
    document             TEXT    NOT NULL,
    content_hash         TEXT    NOT NULL,
    imported_at          INTEGER NOT NULL,
    imported_by          INTEGER REFERENCES users(id)
);

CREATE TABLE charter_signatures (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id               INTEGER NOT NULL REFERENCES organisations(id),
    charter_version      INTEGER NOT NULL,
    signatory_name       TEXT    NOT NULL,
    signatory_position   TEXT    NOT NULL,
    -- The day signed (YYYY-MM-DD), as the signatory gave it.
    signed_on            TEXT    NOT NULL,
    signed_by            INTEGER REFERENCES users(id),
    signed_at            INTEGER NOT NULL,
    withdrawn_at         INTEGER,
    withdrawn_by         INTEGER REFERENCES users(id)
);
CREATE INDEX charter_signatures_org ON charter_signatures (org_id, id);

-- What a supplier shows for each commitment: a statement, until when it holds, and optionally a
-- certificate (kind, reference, expiry).
CREATE TABLE charter_commitments (
    org_id                 INTEGER NOT NULL REFERENCES organisations(id),
    key                    TEXT    NOT NULL,
    statement              TEXT    NOT NULL,
    expires_on             TEXT    NOT NULL,
    certificate_kind       TEXT,
    certificate_reference  TEXT,
    certificate_expires_on TEXT,
    updated_at             INTEGER NOT NULL,
    updated_by             INTEGER REFERENCES users(id),
    PRIMARY KEY (org_id, key)
);

-- Documents a supplier shows for a commitment: kept in the object store, named here with their
-- SHA-256 (which the audit log holds too).
CREATE TABLE charter_documents (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id                 INTEGER NOT NULL REFERENCES organisations(id),
    key                    TEXT    NOT NULL,
    filename               TEXT    NOT NULL,
    content_type           TEXT    NOT NULL,
    size                   INTEGER NOT NULL,
    sha256                 TEXT    NOT NULL,
    object_key             TEXT    NOT NULL,
    uploaded_by            INTEGER REFERENCES users(id),
    uploaded_at            INTEGER NOT NULL
);
CREATE INDEX charter_documents_org ON charter_documents (org_id, key, id);
