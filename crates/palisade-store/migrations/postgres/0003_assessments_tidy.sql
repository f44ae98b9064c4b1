-- Two stored facts that other columns already give: a framework's year is on the framework, and
-- whether an assessment has been published before is `published_at IS NOT NULL`.
DROP INDEX framework_categories_year;
ALTER TABLE framework_categories DROP COLUMN year;
CREATE INDEX framework_categories_category ON framework_categories (category, framework_id);
CREATE INDEX frameworks_year ON frameworks (year);
ALTER TABLE assessments DROP COLUMN first_published_at;
