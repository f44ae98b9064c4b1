-- Cyber alerts (SQLite): versioned alerts, one response per in-scope organisation, its
-- remediation actions, and the outbox that carries notifications to a delivery worker.
CREATE TABLE alerts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    seq               INTEGER NOT NULL UNIQUE,
    reference         TEXT    NOT NULL UNIQUE,
    state             TEXT    NOT NULL CHECK (state IN ('draft', 'published')),
    version           INTEGER NOT NULL,
    title             TEXT    NOT NULL,
    severity          TEXT    NOT NULL,
    -- The whole validated content (palisade_domain::alert::AlertFields) as JSON.
    fields            TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    published_at      INTEGER,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX alerts_published ON alerts (published_at);

CREATE TABLE alert_versions (
    alert_id          INTEGER NOT NULL REFERENCES alerts(id),
    version           INTEGER NOT NULL,
    fields            TEXT    NOT NULL,
    -- JSON array of the names of the fields that changed from the version before.
    changed           TEXT    NOT NULL,
    published         INTEGER NOT NULL,
    at                INTEGER NOT NULL,
    by_user           INTEGER REFERENCES users(id),
    PRIMARY KEY (alert_id, version)
);

CREATE TABLE alert_responses (
    alert_id          INTEGER NOT NULL REFERENCES alerts(id),
    org_id            INTEGER NOT NULL REFERENCES organisations(id),
    status            TEXT    NOT NULL
                      CHECK (status IN ('awaiting_acknowledgement', 'in_progress', 'closed')),
    due_at            INTEGER,
    acknowledged_at   INTEGER,
    applies           INTEGER,
    reason            TEXT,
    closure           TEXT,
    risk_owner        TEXT,
    closed_at         INTEGER,
    escalated_at      INTEGER,
    -- Bumped by every step, so two people cannot take the same step unseen.
    revision          INTEGER NOT NULL DEFAULT 0,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (alert_id, org_id)
);
CREATE INDEX alert_responses_org ON alert_responses (org_id);
CREATE INDEX alert_responses_due ON alert_responses (due_at) WHERE status <> 'closed';

CREATE TABLE response_actions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id          INTEGER NOT NULL,
    org_id            INTEGER NOT NULL,
    action            TEXT    NOT NULL,
    owner             TEXT    NOT NULL,
    due_on            TEXT    NOT NULL,
    progress          TEXT,
    done_on           TEXT,
    updated_at        INTEGER NOT NULL,
    FOREIGN KEY (alert_id, org_id) REFERENCES alert_responses (alert_id, org_id)
);
CREATE INDEX response_actions_response ON response_actions (alert_id, org_id);

-- Messages to send. Written in the same transaction as the change that causes them; a worker
-- claims due rows, sends them and marks them sent. `key` makes every message unique, so a
-- change replayed after a crash cannot queue a second copy.
CREATE TABLE outbox (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    key               TEXT    NOT NULL UNIQUE,
    channel           TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient         TEXT    NOT NULL,
    subject           TEXT    NOT NULL,
    body              TEXT    NOT NULL,
    org_id            INTEGER REFERENCES organisations(id),
    alert_id          INTEGER REFERENCES alerts(id),
    created_at        INTEGER NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    claimed_until     INTEGER,
    sent_at           INTEGER,
    last_error        TEXT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE sent_at IS NULL;
