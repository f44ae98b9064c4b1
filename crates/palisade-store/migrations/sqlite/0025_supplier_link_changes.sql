-- Every change to which product versions organisations use, in order (SQLite): exposure answers
-- hold who uses each product version in memory and follow this log, as they follow inventory
-- uploads, rather than reading thousands of links on every question.
CREATE TABLE supplier_link_changes (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id               INTEGER NOT NULL REFERENCES organisations(id),
    product_id           INTEGER NOT NULL REFERENCES supplier_products(id),
    version              TEXT    NOT NULL,
    -- 1 when the organisation started using it, 0 when it stopped.
    added                INTEGER NOT NULL
);
