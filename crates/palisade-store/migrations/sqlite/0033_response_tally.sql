-- The response board's counts (SQLite), kept by every change to a response's status in the same
-- transaction, so the national team's board reads a few dozen rows instead of grouping every
-- organisation's response to an alert on each refresh. Seeded from the responses as they stand.
CREATE TABLE response_tally (
    alert_id  INTEGER NOT NULL REFERENCES alerts(id),
    status    TEXT    NOT NULL,
    org_type  TEXT    NOT NULL,
    responses INTEGER NOT NULL,
    PRIMARY KEY (alert_id, status, org_type)
);
INSERT INTO response_tally (alert_id, status, org_type, responses)
SELECT r.alert_id, r.status, o.org_type, COUNT(*)
FROM alert_responses r JOIN organisations o ON o.id = r.org_id
GROUP BY r.alert_id, r.status, o.org_type;

-- How many of an alert's responses are late now depends on the time, so it is counted when the
-- board is read: from the open responses whose due time has passed, found without reading the
-- others.
CREATE INDEX alert_responses_late ON alert_responses (alert_id, due_at) WHERE status <> 'closed';
