-- Response playbooks (SQLite): each version of a playbook file as imported, and the tasks a
-- playbook's steps became on a case.
CREATE TABLE playbooks (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    key                  TEXT    NOT NULL,
    version              INTEGER NOT NULL,
    title                TEXT    NOT NULL,
    -- The incident kinds it answers, space-separated.
    kinds                TEXT    NOT NULL,
    -- The checked playbook (palisade_domain::incident::playbook::Playbook) as canonical JSON,
    -- and its SHA-256, which tells the same file imported again from a changed one.
    document             TEXT    NOT NULL,
    content_hash         TEXT    NOT NULL,
    imported_at          INTEGER NOT NULL,
    imported_by          INTEGER REFERENCES users(id),
    UNIQUE (key, version)
);

CREATE TABLE incident_tasks (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id          INTEGER NOT NULL REFERENCES incidents(id),
    playbook_id          INTEGER NOT NULL REFERENCES playbooks(id),
    -- The step's place in the playbook, its phase and key, copied so the task reads alone.
    position             INTEGER NOT NULL,
    phase                TEXT    NOT NULL,
    step_key             TEXT    NOT NULL,
    title                TEXT    NOT NULL,
    guidance             TEXT    NOT NULL,
    actor                TEXT    NOT NULL CHECK (actor IN ('organisation', 'national')),
    due_at               INTEGER,
    state                TEXT    NOT NULL DEFAULT 'open'
                         CHECK (state IN ('open', 'done', 'not_applicable')),
    -- What was done, or why the step does not apply.
    note                 TEXT    NOT NULL DEFAULT '',
    done_by              INTEGER REFERENCES users(id),
    done_at              INTEGER,
    applied_by           INTEGER REFERENCES users(id),
    applied_at           INTEGER NOT NULL,
    UNIQUE (incident_id, playbook_id, step_key)
);
CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, playbook_id, position);
