-- An extended-support agreement covers the days from its start to its end. Agreements recorded
-- before the start was kept have none: they began on the day they were recorded (read so).
ALTER TABLE estate_mitigations ADD COLUMN from_date TEXT;
