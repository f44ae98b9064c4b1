-- Delivery of alert notifications (PostgreSQL): each contact's channels, messages the worker gave
-- up on (a permanent refusal), and when late responses were last chased.
ALTER TABLE contacts ADD COLUMN alert_channels TEXT NOT NULL DEFAULT 'both'
    CHECK (alert_channels IN ('both', 'email', 'sms'));
ALTER TABLE outbox ADD COLUMN gave_up_at BIGINT;
-- The provider's id for a sent message (a GOV.UK Notify notification id, an SMTP queue reply).
ALTER TABLE outbox ADD COLUMN provider_ref TEXT;
ALTER TABLE alert_responses ADD COLUMN chased_at BIGINT;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE sent_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX alert_responses_escalation ON alert_responses (due_at)
    WHERE status <> 'closed' AND escalated_at IS NULL;
