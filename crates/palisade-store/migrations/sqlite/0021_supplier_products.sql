-- What IT suppliers offer and who uses it (SQLite): each supplier's products (with their CPE 2.3
-- and package URL identities) and services, a product's versions, and the product versions and
-- services each organisation uses.
CREATE TABLE supplier_products (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id               INTEGER NOT NULL REFERENCES organisations(id),
    name                 TEXT    NOT NULL,
    -- The name lower-cased: a supplier lists one product or service of a name, whatever the
    -- case, and a customer's file may write it in any case.
    name_key             TEXT    NOT NULL,
    description          TEXT    NOT NULL,
    kind                 TEXT    NOT NULL CHECK (kind IN ('product', 'service')),
    service_type         TEXT,
    cpe                  TEXT,
    purl                 TEXT,
    created_at           INTEGER NOT NULL,
    created_by           INTEGER REFERENCES users(id),
    updated_at           INTEGER NOT NULL,
    UNIQUE (org_id, name_key)
);

CREATE TABLE supplier_product_versions (
    product_id           INTEGER NOT NULL REFERENCES supplier_products(id),
    version              TEXT    NOT NULL,
    -- Where the supplier listed it: versions read in the supplier's order.
    position             INTEGER NOT NULL,
    PRIMARY KEY (product_id, version)
);

-- A product version (or, with an empty version, a service) an organisation uses.
CREATE TABLE supplier_links (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id               INTEGER NOT NULL REFERENCES organisations(id),
    product_id           INTEGER NOT NULL REFERENCES supplier_products(id),
    version              TEXT    NOT NULL,
    -- YYYY-MM-DD, when the organisation's contract for it ends, if it said.
    contract_end         TEXT,
    created_at           INTEGER NOT NULL,
    created_by           INTEGER REFERENCES users(id),
    UNIQUE (org_id, product_id, version)
);
CREATE INDEX supplier_links_product ON supplier_links (product_id, version);

-- The national team's choices about a supplier: whether its own people may see which
-- organisations use its products (by default they see counts only).
CREATE TABLE supplier_settings (
    org_id               INTEGER PRIMARY KEY REFERENCES organisations(id),
    customer_names       INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    updated_by           INTEGER REFERENCES users(id)
);
