-- Annual assessments (SQLite). Dates that are days, not instants (deadlines, certificate expiry),
-- are ISO 'YYYY-MM-DD' text, which sorts and compares correctly; instants are Unix seconds.

CREATE TABLE frameworks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    key           TEXT    NOT NULL,
    year          INTEGER NOT NULL,
    version       TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('ten_standard', 'caf')),
    name          TEXT    NOT NULL,
    deadline      TEXT    NOT NULL,
    content_hash  TEXT    NOT NULL,
    document      TEXT    NOT NULL,
    imported_at   INTEGER NOT NULL,
    UNIQUE (key, year, content_hash)
);

CREATE TABLE framework_categories (
    framework_id  INTEGER NOT NULL REFERENCES frameworks(id),
    category      INTEGER NOT NULL CHECK (category BETWEEN 1 AND 4),
    year          INTEGER NOT NULL,
    PRIMARY KEY (framework_id, category)
);
CREATE INDEX framework_categories_year ON framework_categories (year, category, framework_id);

CREATE TABLE assessments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    year          INTEGER NOT NULL,
    framework_id  INTEGER NOT NULL REFERENCES frameworks(id),
    submitted     INTEGER NOT NULL DEFAULT 0 CHECK (submitted IN (0, 1)),
    status        TEXT    NOT NULL DEFAULT 'not_published',
    published_at  INTEGER,
    first_published_at INTEGER,
    -- The first publication came after the deadline.
    late          INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    -- Bumped by every change, so a submission can tell that nothing changed under it.
    revision      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (org_id, year)
);
CREATE INDEX assessments_year_status ON assessments (year, status);

CREATE TABLE answers (
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    ref           TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    updated_by    INTEGER REFERENCES users(id),
    PRIMARY KEY (assessment_id, ref)
);

CREATE TABLE publications (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    status        TEXT    NOT NULL,
    published_at  INTEGER NOT NULL,
    published_by  INTEGER REFERENCES users(id),
    late          INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1))
);
CREATE INDEX publications_assessment ON publications (assessment_id, id);

CREATE TABLE certificates (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    kind          TEXT    NOT NULL,
    reference     TEXT    NOT NULL,
    expires_on    TEXT    NOT NULL,
    recorded_at   INTEGER NOT NULL,
    recorded_by   INTEGER REFERENCES users(id)
);
CREATE INDEX certificates_assessment ON certificates (assessment_id);

CREATE TABLE evidence (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    ref           TEXT    NOT NULL,
    filename      TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT    NOT NULL,
    object_key    TEXT    NOT NULL,
    uploaded_at   INTEGER NOT NULL,
    uploaded_by   INTEGER REFERENCES users(id),
    removed       INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1))
);
CREATE INDEX evidence_assessment ON evidence (assessment_id, ref);
