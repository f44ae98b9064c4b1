-- Organisations found by any part of their code or name (SQLite): an FTS5 index of the trigrams
-- of each organisation's code and folded name, so a search (`?q=` on the register, the statuses
-- and an alert's responses) reads a few index entries instead of every organisation. The store
-- puts each organisation it creates, renames or imports in it. A search of fewer than three
-- characters still compares every organisation.
CREATE VIRTUAL TABLE organisations_search USING fts5 (code, search_name, tokenize = 'trigram');
INSERT INTO organisations_search (rowid, code, search_name)
SELECT id, code, search_name FROM organisations;
