-- Background jobs shared by every server (SQLite): one row per job holds its schedule and its
-- lease. A server runs a job only while it holds the lease (`lease_holder` until `lease_until`),
-- taken by one conditional update, so two servers never run the same job at once; a lease left by
-- a server that stopped runs out and the job is taken again.
CREATE TABLE jobs (
    name            TEXT    PRIMARY KEY,
    next_run_at     INTEGER NOT NULL,
    lease_holder    TEXT,
    lease_until     INTEGER,
    last_started_at INTEGER,
    last_success_at INTEGER,
    last_failure_at INTEGER,
    -- Failures since the last success (for the backoff), and in all (for the metrics).
    failures        INTEGER NOT NULL DEFAULT 0,
    failures_total  INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT
);

-- Every run of a job: who ran it, why, when, how it ended and how many items it handled. A run
-- still `running` when its lease ran out is marked `abandoned` by the next server to take it.
CREATE TABLE job_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job         TEXT    NOT NULL REFERENCES jobs(name),
    server      TEXT    NOT NULL,
    trigger     TEXT    NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    outcome     TEXT    NOT NULL
                CHECK (outcome IN ('running', 'succeeded', 'failed', 'abandoned')),
    items       INTEGER NOT NULL DEFAULT 0,
    error       TEXT
);
CREATE INDEX job_runs_by_job ON job_runs (job, id);

-- Each reminder sent, by its key (`reminder:{kind}:{item}:{offset}`): written in the same
-- transaction as its messages in the outbox, so a reminder is sent once whatever happens to the
-- server that sends it, and the reminder job finds what is left to send by what is not here.
CREATE TABLE reminders (
    key     TEXT    PRIMARY KEY,
    kind    TEXT    NOT NULL,
    org_id  INTEGER NOT NULL REFERENCES organisations(id),
    sent_at INTEGER NOT NULL
);
