-- The response board's counts (PostgreSQL), kept by every change to a response's status in the same
-- transaction, so the national team's board reads a few dozen rows instead of grouping every
-- organisation's response to an alert on each refresh. Each organisation adds to one of eight
-- slots (its id modulo 8), so responses recorded at once on PostgreSQL rarely wait on one row;
-- a count is the sum of its slots. Seeded from the responses as they stand.
CREATE TABLE response_tally (
    alert_id  BIGINT  NOT NULL REFERENCES alerts(id),
    status    TEXT    NOT NULL,
    org_type  TEXT    NOT NULL,
    slot      BIGINT  NOT NULL,
    responses BIGINT  NOT NULL,
    PRIMARY KEY (alert_id, status, org_type, slot)
);
INSERT INTO response_tally (alert_id, status, org_type, slot, responses)
SELECT r.alert_id, r.status, o.org_type, r.org_id % 8, COUNT(*)
FROM alert_responses r JOIN organisations o ON o.id = r.org_id
GROUP BY r.alert_id, r.status, o.org_type, r.org_id % 8;

-- How many of an alert's responses are late now depends on the time, so it is counted when the
-- board is read: from the open responses whose due time has passed, found without reading the
-- others.
CREATE INDEX alert_responses_late ON alert_responses (alert_id, due_at) WHERE status <> 'closed';
