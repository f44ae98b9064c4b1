-- Suppliers' SBOMs (SQLite): per product version, the CycloneDX or SPDX document its supplier
-- uploads, as checked components. A new upload replaces the one in force (which is kept, marked
-- replaced), so ids grow with every upload and a reader follows them in order.
CREATE TABLE supplier_sboms (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id           INTEGER NOT NULL REFERENCES supplier_products(id),
    version              TEXT    NOT NULL,
    format               TEXT    NOT NULL CHECK (format IN ('cyclonedx', 'spdx')),
    components           INTEGER NOT NULL,
    sha256               TEXT    NOT NULL,
    uploaded_at          INTEGER NOT NULL,
    uploaded_by          INTEGER REFERENCES users(id),
    replaced_at          INTEGER
);
CREATE INDEX supplier_sboms_version ON supplier_sboms (product_id, version, id);

-- Each component of an SBOM, as the checked inventory component (JSON), in document order.
CREATE TABLE supplier_sbom_components (
    sbom_id              INTEGER NOT NULL REFERENCES supplier_sboms(id),
    position             INTEGER NOT NULL,
    component            TEXT    NOT NULL,
    PRIMARY KEY (sbom_id, position)
);
