-- Improvement plans (SQLite): one per assessment, one action per unmet item or outcome.
CREATE TABLE improvement_plans (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    assessment_id   INTEGER NOT NULL UNIQUE REFERENCES assessments(id),
    state           TEXT    NOT NULL DEFAULT 'draft'
                    CHECK (state IN ('draft', 'signed_off', 'approved', 'returned')),
    -- Bumped by every change, so two people cannot overwrite each other's plan unseen.
    revision        INTEGER NOT NULL DEFAULT 0,
    siro_name       TEXT,
    signed_off_at   INTEGER,
    signed_off_by   INTEGER REFERENCES users(id),
    reviewed_at     INTEGER,
    reviewed_by     INTEGER REFERENCES users(id),
    review_note     TEXT,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX improvement_plans_state ON improvement_plans (state);

CREATE TABLE plan_actions (
    plan_id         INTEGER NOT NULL REFERENCES improvement_plans(id),
    ref             TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    owner           TEXT    NOT NULL,
    target_date     TEXT    NOT NULL,
    done_on         TEXT,
    PRIMARY KEY (plan_id, ref)
);
CREATE INDEX plan_actions_open_due ON plan_actions (target_date) WHERE done_on IS NULL;
