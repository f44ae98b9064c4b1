-- Organisations found by any part of their code or name (PostgreSQL): a GIN index of the
-- trigrams of each organisation's lower-case code and folded name (pg_trgm, shipped with
-- PostgreSQL; a trusted extension, so the database's owner may create it), which serves the
-- `LIKE '%...%'` a search (`?q=` on the register, the statuses and an alert's responses) runs.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX organisations_search ON organisations
    USING gin (LOWER(code) gin_trgm_ops, search_name gin_trgm_ops);
