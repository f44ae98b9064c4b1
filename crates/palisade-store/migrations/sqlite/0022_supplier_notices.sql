-- Supplier incident notices (SQLite): an IT supplier tells every organisation using the products or
-- services an incident affects. Each notice names its incident and products; its recipients are
-- fixed when it is sent, and each acknowledges it. The same notice sent again (same incident and
-- content) is the one kept, so a retried request queues nothing twice.
CREATE TABLE supplier_notices (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id               INTEGER NOT NULL REFERENCES organisations(id),
    incident_id          INTEGER NOT NULL REFERENCES incidents(id),
    title                TEXT    NOT NULL,
    message              TEXT    NOT NULL,
    -- SHA-256 of the title, message and product ids: a repeat of the same notice.
    content_hash         TEXT    NOT NULL,
    recipients           INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    created_by           INTEGER REFERENCES users(id),
    UNIQUE (incident_id, content_hash)
);
CREATE INDEX supplier_notices_org ON supplier_notices (org_id, id);

CREATE TABLE supplier_notice_products (
    notice_id            INTEGER NOT NULL REFERENCES supplier_notices(id),
    product_id           INTEGER NOT NULL REFERENCES supplier_products(id),
    PRIMARY KEY (notice_id, product_id)
);

CREATE TABLE supplier_notice_recipients (
    notice_id            INTEGER NOT NULL REFERENCES supplier_notices(id),
    org_id               INTEGER NOT NULL REFERENCES organisations(id),
    acknowledged_at      INTEGER,
    acknowledged_by      INTEGER REFERENCES users(id),
    PRIMARY KEY (notice_id, org_id)
);
CREATE INDEX supplier_notice_recipients_org ON supplier_notice_recipients (org_id, notice_id);
