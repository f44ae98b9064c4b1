-- Incidents (SQLite): what organisations report, and each case's timeline: the updates appended
-- after notification, national triage, notes and messages. The reference is `INC-` and the id.
CREATE TABLE incidents (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id               INTEGER NOT NULL REFERENCES organisations(id),
    status               TEXT    NOT NULL
                         CHECK (status IN ('draft', 'notified', 'triaged', 'investigating',
                                           'contained', 'closed', 'reopened')),
    -- The checked fields as they stand now (palisade_domain::incident::IncidentFields) as JSON;
    -- the columns below repeat what lists filter and sort on.
    fields               TEXT    NOT NULL,
    title                TEXT    NOT NULL,
    kind                 TEXT    NOT NULL,
    likelihood           INTEGER,
    impact               INTEGER,
    regulator_reportable INTEGER NOT NULL,
    nis_reportable       INTEGER NOT NULL,
    aware_at             INTEGER NOT NULL,
    notified_at          INTEGER,
    full_report_at       INTEGER,
    final_report_at      INTEGER,
    contained_at         INTEGER,
    triaged_at           INTEGER,
    closed_at            INTEGER,
    -- The earliest due time of a clock still waiting for its report, and whether any report
    -- was made late: the board's "late" filter without computing clocks per row.
    next_due_at          INTEGER,
    reported_late        INTEGER NOT NULL DEFAULT 0,
    -- When the next clock warning (at 50% or 80% of a clock's time) falls due.
    next_warn_at         INTEGER,
    severity             TEXT,
    assignee_id          INTEGER REFERENCES users(id),
    -- The cyber alert drafted from the case, by its reference.
    alert_reference      TEXT,
    -- JSON arrays: the organisation codes amber indicators are shared with, and the clock
    -- warnings sent (`clock@percent`).
    shared_with          TEXT    NOT NULL DEFAULT '[]',
    warnings_sent        TEXT    NOT NULL DEFAULT '[]',
    -- Bumped by every change, so two people never overwrite each other unseen.
    revision             INTEGER NOT NULL DEFAULT 0,
    created_by           INTEGER REFERENCES users(id),
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX incidents_org ON incidents (org_id, id);
CREATE INDEX incidents_notified ON incidents (notified_at, id) WHERE notified_at IS NOT NULL;
CREATE INDEX incidents_next_due ON incidents (next_due_at) WHERE next_due_at IS NOT NULL;
CREATE INDEX incidents_next_warn ON incidents (next_warn_at) WHERE next_warn_at IS NOT NULL;

CREATE TABLE incident_entries (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id          INTEGER NOT NULL REFERENCES incidents(id),
    at                   INTEGER NOT NULL,
    by_user              INTEGER REFERENCES users(id),
    kind                 TEXT    NOT NULL
                         CHECK (kind IN ('notification', 'update', 'triage', 'message', 'note')),
    text                 TEXT    NOT NULL,
    -- JSON object: each changed field's name with [before, after].
    changes              TEXT    NOT NULL DEFAULT '{}',
    report               TEXT    CHECK (report IN ('full', 'final')),
    -- Seen by the organisation; a national note is not.
    shared               INTEGER NOT NULL
);
CREATE INDEX incident_entries_incident ON incident_entries (incident_id, id);

-- Indicators of compromise on a case, each with its TLP 2.0 marking.
CREATE TABLE incident_indicators (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id          INTEGER NOT NULL REFERENCES incidents(id),
    type                 TEXT    NOT NULL
                         CHECK (type IN ('ipv4', 'ipv6', 'domain', 'url', 'email', 'sha256',
                                         'sha1', 'md5')),
    value                TEXT    NOT NULL,
    tlp                  TEXT    NOT NULL
                         CHECK (tlp IN ('clear', 'green', 'amber', 'amber+strict', 'red')),
    description          TEXT    NOT NULL DEFAULT '',
    created_by           INTEGER REFERENCES users(id),
    created_at           INTEGER NOT NULL,
    UNIQUE (incident_id, type, value)
);
CREATE INDEX incident_indicators_value ON incident_indicators (value);
