-- When each response's acknowledgement was first due. `due_at` moves on with every step (the
-- next update is due), so it cannot say afterwards whether the acknowledgement came in time.
-- Set when the response is made: from the publication that brought the organisation into scope,
-- and NULL when the alert needs no response. Responses made before this take it from the alert's
-- first publication (High: 48 hours, Medium: 14 days) when the alert asks for a response, or
-- from `due_at` while they still await acknowledgement.
ALTER TABLE alert_responses ADD COLUMN ack_due_at INTEGER;
UPDATE alert_responses SET ack_due_at = due_at WHERE status = 'awaiting_acknowledgement';
-- The alert's content is kept as compact JSON (`"response_required":true`).
UPDATE alert_responses SET ack_due_at = (
    SELECT a.published_at + CASE a.severity WHEN 'high' THEN 172800 ELSE 1209600 END
    FROM alerts a
    WHERE a.id = alert_responses.alert_id AND a.severity IN ('high', 'medium')
      AND a.fields LIKE '%"response_required":true%'
) WHERE status <> 'awaiting_acknowledgement';
