-- The national figures' counts (PostgreSQL), kept by every change to the register and to assessments'
-- statuses in the same transaction, so the national report reads a few hundred rows instead of
-- grouping every organisation with its assessment. Seeded from the tables as they stand.

-- Active organisations by type, category and region.
CREATE TABLE register_tally (
    org_type TEXT    NOT NULL,
    category BIGINT NOT NULL,
    region   TEXT    NOT NULL,
    orgs     BIGINT NOT NULL,
    PRIMARY KEY (org_type, category, region)
);
INSERT INTO register_tally (org_type, category, region, orgs)
SELECT org_type, category, region, COUNT(*)
FROM organisations WHERE active = 1
GROUP BY org_type, category, region;

-- Those organisations' assessments with a published status, by year and the same groups, with
-- how many were first published after the deadline. The rest of a group is not published.
CREATE TABLE status_tally (
    year     BIGINT NOT NULL,
    org_type TEXT    NOT NULL,
    category BIGINT NOT NULL,
    region   TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    orgs     BIGINT NOT NULL,
    late     BIGINT NOT NULL,
    PRIMARY KEY (year, org_type, category, region, status)
);
INSERT INTO status_tally (year, org_type, category, region, status, orgs, late)
SELECT a.year, o.org_type, o.category, o.region, a.status, COUNT(*), SUM(a.late)
FROM assessments a JOIN organisations o ON o.id = a.org_id
WHERE o.active = 1 AND a.status <> 'not_published'
GROUP BY a.year, o.org_type, o.category, o.region, a.status;

-- A number that every change to the counts (and every framework imported, which may move a
-- year's deadline) adds one to, in the same transaction: a server holding a report worked out
-- at this number knows it still stands after reading one row.
CREATE TABLE figures_version (
    id      BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO figures_version (id, version) VALUES (1, 0);
