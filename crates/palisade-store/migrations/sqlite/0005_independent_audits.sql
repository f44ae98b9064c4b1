-- Independent audits of submitted assessments (SQLite): one per assessment, one finding per item
-- or outcome the auditor judged.
CREATE TABLE independent_audits (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    assessment_id   INTEGER NOT NULL UNIQUE REFERENCES assessments(id),
    state           TEXT    NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'issued')),
    revision        INTEGER NOT NULL DEFAULT 0,
    rating          TEXT,
    veracity        TEXT,
    summary         TEXT    NOT NULL DEFAULT '',
    auditor_id      INTEGER REFERENCES users(id),
    issued_at       INTEGER,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX independent_audits_state ON independent_audits (state);

CREATE TABLE audit_findings (
    audit_id        INTEGER NOT NULL REFERENCES independent_audits(id),
    ref             TEXT    NOT NULL,
    agrees          INTEGER NOT NULL CHECK (agrees IN (0, 1)),
    comment         TEXT    NOT NULL,
    PRIMARY KEY (audit_id, ref)
);
