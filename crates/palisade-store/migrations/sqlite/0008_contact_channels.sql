-- Contacts that existed before channels could be chosen, and have no mobile number, take email
-- only: "both" would be refused the next time their form is saved.
UPDATE contacts SET alert_channels = 'email'
WHERE alert_channels = 'both' AND (mobile IS NULL OR mobile = '');
