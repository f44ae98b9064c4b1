-- Suppliers' VEX statements (SQLite): per product version, what its supplier says of each CVE
-- (CycloneDX VEX, CSAF VEX or OpenVEX, read into one form). A new upload replaces the version's
-- statements. A not_affected or fixed statement takes the version out of exposure answers for
-- that CVE.
CREATE TABLE supplier_vex (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id           INTEGER NOT NULL REFERENCES supplier_products(id),
    version              TEXT    NOT NULL,
    cve                  TEXT    NOT NULL,
    status               TEXT    NOT NULL
                         CHECK (status IN ('not_affected', 'affected', 'fixed', 'under_investigation')),
    justification        TEXT,
    detail               TEXT,
    -- JSON array of the package URLs of the components it names (empty: the whole version).
    components           TEXT    NOT NULL,
    format               TEXT    NOT NULL,
    uploaded_at          INTEGER NOT NULL,
    uploaded_by          INTEGER REFERENCES users(id)
);
CREATE INDEX supplier_vex_version ON supplier_vex (product_id, version, cve);
