-- Names folded for searching (palisade_domain::search::search_key), written with every name so
-- that a search gives one answer on both engines. Rows written before are filled in at start.
ALTER TABLE organisations ADD COLUMN search_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN search_name TEXT NOT NULL DEFAULT '';
