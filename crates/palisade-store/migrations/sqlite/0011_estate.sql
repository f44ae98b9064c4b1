-- The estate (SQLite): data feeds with the time of their data and their items (product
-- lifecycles, known exploited vulnerabilities), and what organisations do about their unsupported systems.

-- Each feed's latest import: its digest makes a re-import of the same data change nothing.
CREATE TABLE feeds (
    name              TEXT    PRIMARY KEY,
    digest            TEXT    NOT NULL,
    items             INTEGER NOT NULL,
    data_time         INTEGER,
    imported_at       INTEGER NOT NULL,
    by_user           INTEGER REFERENCES users(id)
);

-- A feed's items as JSON, keyed within the feed (a product's name for lifecycles, a CVE id for
-- known exploited vulnerabilities), replaced whole by each import.
CREATE TABLE feed_items (
    feed              TEXT    NOT NULL REFERENCES feeds(name),
    item_key          TEXT    NOT NULL,
    body              TEXT    NOT NULL,
    PRIMARY KEY (feed, item_key)
);

-- One mitigation per system (asset, vendor and product as the inventory names them), so it
-- survives the next upload of the same system.
CREATE TABLE estate_mitigations (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            INTEGER NOT NULL REFERENCES organisations(id),
    asset             TEXT    NOT NULL,
    vendor            TEXT    NOT NULL,
    product           TEXT    NOT NULL,
    action            TEXT    NOT NULL CHECK (action IN ('replace', 'remove', 'isolate', 'extended_support')),
    until_date        TEXT,
    evidence          TEXT    NOT NULL,
    recorded_at       INTEGER NOT NULL,
    by_user           INTEGER REFERENCES users(id),
    UNIQUE (org_id, asset, vendor, product)
);

-- The national count of unsupported systems, one row per day it was taken: the trend.
CREATE TABLE estate_days (
    day               TEXT    PRIMARY KEY,
    organisations     INTEGER NOT NULL,
    devices           INTEGER NOT NULL,
    estates           INTEGER NOT NULL
);
